data "aws_partition" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  state_bucket = "${var.project}-tfstate-${var.account_id}"
  github_oidc  = "token.actions.githubusercontent.com"
  # The staging account holds the image registry and the build role; production pulls from it.
  is_registry = var.account_id == var.registry_account_id
  # With production in an account of its own, its nodes and deploy role pull across accounts.
  production_pullers = var.production_account_id == var.registry_account_id ? [] : [
    for role in ["nodes", "deploy"] : "arn:${local.partition}:iam::${var.production_account_id}:role/${var.project}-production-${role}"
  ]
}

module "kms" {
  source = "../modules/kms"

  name        = "${var.project}-shared"
  description = "Shared data of ${var.project} in this account: Terraform state and container images"
}

module "registry" {
  source = "../modules/registry"
  count  = local.is_registry ? 1 : 0

  name                = var.project
  kms_key_arn         = module.kms.key_arn
  pull_principal_arns = local.production_pullers
}

moved {
  from = module.registry
  to   = module.registry[0]
}

# One OIDC provider per URL and account: an account that already trusts GitHub (another service,
# an earlier bootstrap) is adopted, not duplicated. `invoke bootstrap` looks and sets the variable.
resource "aws_iam_openid_connect_provider" "github" {
  count          = var.github_oidc_provider_exists ? 0 : 1
  url            = "https://${local.github_oidc}"
  client_id_list = ["sts.amazonaws.com"]
}

moved {
  from = aws_iam_openid_connect_provider.github
  to   = aws_iam_openid_connect_provider.github[0]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.github_oidc_provider_exists ? 1 : 0
  url   = "https://${local.github_oidc}"
}

locals {
  github_oidc_provider_arn = var.github_oidc_provider_exists ? data.aws_iam_openid_connect_provider.github[0].arn : aws_iam_openid_connect_provider.github[0].arn
}

# GitHub access of the CodeBuild-hosted runners. Created PENDING: a person completes the handshake
# once in the console (Developer Tools > Settings > Connections), .github/SETUP.md says when.
resource "aws_codeconnections_connection" "github" {
  name          = "${var.project}-github"
  provider_type = "GitHub"
}
