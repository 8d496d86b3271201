# What the app's IAM database login needs, the monitoring role's trust, and the final snapshot.
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
    override_during = plan
    defaults = {
      resource_id        = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
      master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-test", kms_key_id = "k", secret_status = "active" }]
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

run "the_app_logs_in_with_iam_as_its_own_role" {
  command = plan

  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled == true
    error_message = "RDS IAM authentication stays on: the app connects with a token, not the master password."
  }

  assert {
    condition     = output.app_username == "example_service_app"
    error_message = "The app's role is <package>_app."
  }

  assert {
    condition     = output.app_connect_arn == "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/example_service_app"
    error_message = "rds-db:connect is granted on the instance's DbiResourceId and the app's role."
  }
}

run "only_this_instance_may_use_the_monitoring_role" {
  command = plan

  assert {
    condition = toset([
      for condition in data.aws_iam_policy_document.monitoring_assume.statement[0].condition : "${condition.test} ${condition.variable} ${join(",", condition.values)}"
      ]) == toset([
      "StringEquals aws:SourceAccount 123456789012",
      "ArnLike aws:SourceArn arn:aws:rds:us-east-1:123456789012:db:example-staging",
    ])
    error_message = "The enhanced-monitoring role trusts RDS only for this account's instance."
  }
}
