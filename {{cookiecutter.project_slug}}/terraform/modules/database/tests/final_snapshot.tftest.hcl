# The final snapshot's name is fixed when the instance is created (timestamp() is known only then),
# so this one applies against the mocked provider.
mock_provider "aws" {
  source = "../../mocks/aws"

  # The expectations below name us-east-1, whichever region the project answered.
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-test", kms_key_id = "k", secret_status = "active" }]
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/example-staging-rds-monitoring"
    }
  }
}

variables {
  identifier               = "example-staging"
  database_name            = "example_service"
  postgres_major_version   = "17"
  instance_class           = "db.t4g.micro"
  max_allocated_storage_gb = 50
  multi_az                 = false
  deletion_protection      = false
  backup_retention_days    = 7
  log_retention_days       = 30
  vpc_id                   = "vpc-0123456789abcdef0"
  subnet_ids               = ["subnet-a", "subnet-b"]
  client_security_group_ids = {
    nodes = "sg-nodes"
  }
  kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/test"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/example-staging-boundary"
}

run "the_final_snapshot_is_named_after_the_instance" {
  command = apply

  assert {
    condition     = can(regex("^example-staging-final-[0-9]{14}$", aws_db_instance.this.final_snapshot_identifier))
    error_message = "The final snapshot carries the instance's creation time, so a recreated instance never collides."
  }

  assert {
    condition     = startswith(aws_security_group.this.name_prefix, "example-staging-database-")
    error_message = "The security group is named by prefix, so it can be replaced create-before-destroy."
  }
}
