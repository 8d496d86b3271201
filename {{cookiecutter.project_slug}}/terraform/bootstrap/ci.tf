# The CI roles of every environment that lives in this account (both, when they share one).
module "ci_identity" {
  source   = "../modules/ci_identity"
  for_each = toset(var.environments)

  project                  = var.project
  environment              = each.key
  github_repository        = var.github_repository
  github_oidc_provider_arn = local.github_oidc_provider_arn
  state_bucket_name        = module.state_bucket.name
  state_kms_key_arn        = module.kms.key_arn
}

locals {
  build_subject = "repo:${var.github_repository}:ref:refs/heads/main:job_workflow_ref:${var.github_repository}/.github/workflows/deploy.yml@refs/heads/main"
}

module "build_trust" {
  source = "../modules/github_trust"
  count  = local.is_registry ? 1 : 0

  provider_arn = local.github_oidc_provider_arn
  subjects     = [local.build_subject]
}

# deploy.yml's build job on main pushes the image (and its signature and attestations) here: the
# one identity that may write to the registry.
resource "aws_iam_role" "build" {
  count                = local.is_registry ? 1 : 0
  name                 = "${var.project}-build"
  description          = "GitHub Actions image builds of ${var.github_repository} (deploy.yml on main): push to ECR only"
  assume_role_policy   = module.build_trust[0].json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "build" {
  count = local.is_registry ? 1 : 0

  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }

  statement {
    sid = "PushToTheRepository"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:ListImages", "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [module.registry[0].repository_arn]
  }

  statement {
    sid       = "UseRegistryKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [module.kms.key_arn]
  }
}

resource "aws_iam_role_policy" "build" {
  count  = local.is_registry ? 1 : 0
  name   = "push"
  role   = aws_iam_role.build[0].id
  policy = data.aws_iam_policy_document.build[0].json
}
