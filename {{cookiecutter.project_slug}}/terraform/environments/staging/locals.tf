locals {
  name = "${var.project}-${var.environment}"
}

# The repository is account-level (terraform/bootstrap), so both environments deploy one digest.
data "aws_ecr_repository" "app" {
  name = var.project
}
