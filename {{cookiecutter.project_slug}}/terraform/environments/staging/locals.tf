locals {
  name         = "${var.project}-${var.environment}"
  state_bucket = "${var.project}-tfstate-${var.account_id}"
}

# The repository is account-level (terraform/bootstrap), so both environments deploy one digest.
data "aws_ecr_repository" "app" {
  name = var.project
}
