data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  workflows  = "${var.github_repository}/.github/workflows"
  subjects = [
    for workflow in var.workflows :
    "repo:${var.github_repository}:environment:${var.environment}:job_workflow_ref:${local.workflows}/${workflow}@refs/heads/main"
  ]
  state_arn      = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  repository_arn = "arn:${local.partition}:ecr:${local.region}:${var.registry_account_id}:repository/${var.repository_name}"
}

module "trust" {
  source = "../github_trust"

  provider_arn = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"
  subjects     = local.subjects
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-deploy"
  description          = "GitHub Actions deploys of ${var.github_repository} to ${var.environment}: its cluster's namespace, its state's outputs, the registry's images"
  assume_role_policy   = module.trust.json
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
}

# Narrow on purpose: Kubernetes rights come from the namespace-scoped access entry (module eks),
# the image is pushed by the build role, Terraform is applied by the provision role.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DescribeOwnCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [var.cluster_arn]
  }

  statement {
    sid       = "ListOwnStateKey"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.environment}/*"]
    }
  }

  statement {
    sid       = "ReadOwnStateOutputs"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_arn}/${var.environment}/terraform.tfstate"]
  }

  statement {
    sid       = "DecryptState"
    actions   = ["kms:Decrypt"]
    resources = [var.state_kms_key_arn]
  }

  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }

  statement {
    sid = "ReadImagesAndSignatures"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer", "ecr:ListImages",
    ]
    resources = [local.repository_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "deploy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
