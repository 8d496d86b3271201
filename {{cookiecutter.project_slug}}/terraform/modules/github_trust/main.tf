locals {
  issuer = "token.actions.githubusercontent.com"
}

# A role trust policy for GitHub Actions jobs. The repository's OIDC subject is customised
# (.github/SETUP.md: include_claim_keys repo, context, job_workflow_ref), so every subject names the
# repository, the job's context (environment, branch or pull_request) AND the workflow file with the
# ref it ran from: a role trusts one workflow, not everything the repository runs.
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(var.subjects) > 0 ? [1] : []
    content {
      sid     = "GitHubWorkflows"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.issuer}:sub"
        values   = var.subjects
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.subject_patterns) > 0 ? [1] : []
    content {
      sid     = "GitHubWorkflowPatterns"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
      condition {
        test     = "StringLike"
        variable = "${local.issuer}:sub"
        values   = var.subject_patterns
      }
    }
  }
}
