data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  name       = "${var.project}-${var.environment}"
  other      = var.environment == "staging" ? "production" : "staging"
  workflows  = "${var.github_repository}/.github/workflows"
  iam        = "arn:${local.partition}:iam::${local.account_id}"
  state_arn  = "arn:${local.partition}:s3:::${var.state_bucket_name}"
  # The exact OIDC subjects (customised claim: repo, context, job_workflow_ref) each role admits.
  plan_subjects = ["repo:${var.github_repository}:ref:refs/heads/main:job_workflow_ref:${local.workflows}/terraform.yml@refs/heads/main"]
  plan_patterns = ["repo:${var.github_repository}:pull_request:job_workflow_ref:${local.workflows}/terraform.yml@refs/pull/*/merge"]
  provision_subjects = [
    "repo:${var.github_repository}:environment:${var.environment}:job_workflow_ref:${local.workflows}/terraform.yml@refs/heads/main",
  ]
}

module "plan_trust" {
  source = "../github_trust"

  provider_arn     = var.github_oidc_provider_arn
  subjects         = local.plan_subjects
  subject_patterns = local.plan_patterns
}

module "provision_trust" {
  source = "../github_trust"

  provider_arn = var.github_oidc_provider_arn
  subjects     = local.provision_subjects
}

# terraform plan for pull requests and for main's saved plans: reads the account, its own state key
# (and takes its lock), never another key and never a secret value. Pull requests run the PR's code
# with this role, so what it cannot do matters more than what it can.
resource "aws_iam_role" "plan" {
  name                 = "${local.name}-plan"
  description          = "terraform plan of ${var.environment} for ${var.github_repository} (pull requests and main)"
  assume_role_policy   = module.plan_trust.json
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "ListOwnStateKeys"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.environment}/*"]
    }
  }

  statement {
    sid       = "ReadOwnStateAndTakeItsLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_arn}/${var.environment}/terraform.tfstate", "${local.state_arn}/${var.environment}/terraform.tfstate.tflock"]
  }

  statement {
    sid       = "WriteOnlyTheLock"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_arn}/${var.environment}/terraform.tfstate"]
  }

  # No object outside its own state prefix, in any bucket: a plan reads nothing else.
  statement {
    sid           = "NoOtherStateKey"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
    not_resources = ["${local.state_arn}/${var.environment}/*"]
  }

  statement {
    sid       = "NoSecretValues"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }

  statement {
    sid       = "UseStateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.state_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "terraform-plan"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

# terraform apply of this environment (terraform.yml's apply job, in the GitHub environment, on
# main). Broad rights, capped by the boundary: nothing of the other environment, no unbounded role.
resource "aws_iam_role" "provision" {
  name                 = "${local.name}-provision"
  description          = "terraform apply of ${var.environment} for ${var.github_repository} (terraform.yml on main, environment ${var.environment})"
  assume_role_policy   = module.provision_trust.json
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn
}

resource "aws_iam_role_policy_attachment" "provision" {
  #checkov:skip=CKV_AWS_274:The role applies its environment's whole Terraform root; the permissions boundary caps it (no other environment, no unbounded roles).
  role       = aws_iam_role.provision.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
}
