terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # Bootstrap creates the state bucket, so its own (small) state starts local; see README.md for
  # moving it into the bucket afterwards.
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project     = var.project
      Environment = "shared"
      Repository  = var.github_repository
      ManagedBy   = "terraform"
    }
  }
}
