# Who reaches the Kubernetes API and with what rights, planned with a mocked AWS provider.
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
}

variables {
  name                     = "probe-staging"
  kubernetes_version       = "1.35"
  vpc_id                   = "vpc-0123456789abcdef0"
  vpc_cidr_block           = "10.10.0.0/16"
  subnet_ids               = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000002"
  node_instance_type       = "t3.medium"
  node_min_size            = 2
  node_max_size            = 3
  node_desired_size        = 2
  log_retention_days       = 30
  deletion_protection      = false
  app_namespace            = "probe"
  app_service_account      = "probe"
  app_secret_arns          = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-probe"]
  app_kms_key_arns         = ["arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000002"]
  metrics_namespace        = "probe"
  cluster_admin_arns       = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef", "arn:aws:iam::123456789012:role/probe-staging-provision"]
  namespace_admin_arns     = { deploy = "arn:aws:iam::123456789012:role/probe-staging-deploy" }
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/probe-staging-boundary"
  container_insights_log_group_arns = [
    for group in ["application", "dataplane", "host", "performance"] :
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/containerinsights/probe-staging/${group}"
  ]
  app_database_connect_arns = ["arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/probe_app"]
  api_client_security_group_ids = {
    ci-runner   = "sg-0123456789abcdef0"
    access-host = "sg-0123456789abcdef1"
  }
}

run "private_endpoint_with_admins_and_a_namespace_scoped_deployer" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "Private mode: the API has no public endpoint."
  }

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && !aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions
    error_message = "Access comes from access entries only, not from whoever created the cluster."
  }

  assert {
    condition     = aws_eks_access_policy_association.admins["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    error_message = "An SSO administrator role, path kept, is cluster admin."
  }

  assert {
    condition     = aws_eks_access_policy_association.admins["arn:aws:iam::123456789012:role/probe-staging-provision"].access_scope[0].type == "cluster"
    error_message = "The provision role is cluster admin (it applies cluster-scoped objects after an apply)."
  }

  assert {
    condition     = aws_eks_access_policy_association.namespace_admins["deploy"].policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy" && aws_eks_access_policy_association.namespace_admins["deploy"].access_scope[0].type == "namespace" && aws_eks_access_policy_association.namespace_admins["deploy"].access_scope[0].namespaces == toset(["probe"])
    error_message = "The deploy role administers the app's namespace only."
  }

  assert {
    condition     = length(aws_eks_access_entry.admins) == 2 && length(aws_eks_access_entry.namespace_admins) == 1
    error_message = "Exactly the listed principals get access entries."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.api_clients["ci-runner"].referenced_security_group_id == "sg-0123456789abcdef0" && aws_vpc_security_group_ingress_rule.api_clients["ci-runner"].from_port == 443 && aws_vpc_security_group_ingress_rule.api_clients["ci-runner"].to_port == 443
    error_message = "The CI runner reaches the API on 443 through the cluster security group."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.api_clients["access-host"].referenced_security_group_id == "sg-0123456789abcdef1"
    error_message = "The SSM access instance reaches the API."
  }

  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "The upgrade policy is explicit."
  }

  assert {
    condition     = output.app_database_connect_arns == ["arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/probe_app"]
    error_message = "The app's role may rds-db:connect as its database role, and to nothing else."
  }
}

run "public_endpoint_limited_to_the_answered_cidrs" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24", "198.51.100.7/32"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].endpoint_private_access
    error_message = "Public mode: public and private endpoints."
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24", "198.51.100.7/32"])
    error_message = "The public endpoint admits only the answered CIDRs."
  }
}

run "public_endpoint_without_cidrs_is_refused" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = []
  }

  expect_failures = [aws_eks_cluster.this]
}

run "an_assumed_role_arn_is_refused_as_admin" {
  command = plan

  variables {
    cluster_admin_arns = ["arn:aws:sts::123456789012:assumed-role/Admin/someone"]
  }

  expect_failures = [var.cluster_admin_arns]
}
