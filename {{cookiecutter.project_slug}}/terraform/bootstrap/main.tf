data "aws_partition" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  state_bucket = "${var.project}-tfstate-${var.account_id}"
  github_oidc  = "token.actions.githubusercontent.com"
}

module "kms" {
  source = "../modules/kms"

  name        = "${var.project}-shared"
  description = "Shared data of ${var.project}: Terraform state and container images"
}

module "registry" {
  source = "../modules/registry"

  name        = var.project
  kms_key_arn = module.kms.key_arn
}

resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://${local.github_oidc}"
  client_id_list = ["sts.amazonaws.com"]
}
