data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  account_id  = data.aws_caller_identity.current.account_id
  cluster_arn = "arn:${local.partition}:eks:${data.aws_region.current.region}:${local.account_id}:cluster/${var.name}"
  log_types   = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  # Graviton families (t4g, m7g, c7gn, ...) need the ARM image.
  ami_type     = can(regex("^[a-z]+[0-9]+g[a-z]*\\.", var.node_instance_type)) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD"
  access_scope = "arn:${local.partition}:eks::aws:cluster-access-policy"
}

# Created before the cluster so EKS writes into a group with our retention and key, not its own.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_eks_cluster" "this" {
  name                          = var.name
  version                       = var.kubernetes_version
  role_arn                      = aws_iam_role.cluster.arn
  enabled_cluster_log_types     = local.log_types
  deletion_protection           = var.deletion_protection
  bootstrap_self_managed_addons = false

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    public_access_cidrs     = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  access_config {
    authentication_mode = "API"
    # Who administers the cluster is explicit (access entries below), not whoever ran the first apply.
    bootstrap_cluster_creator_admin_permissions = false
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = var.kms_key_arn
    }
  }

  upgrade_policy {
    # Standard support only (extended support costs six times as much per cluster hour). At the end
    # of standard support EKS upgrades the control plane itself: versions_table.tf warns before.
    support_type = "STANDARD"
  }

  lifecycle {
    precondition {
      condition     = contains(keys(local.addon_versions), var.kubernetes_version)
      error_message = "kubernetes_version ${var.kubernetes_version} has no add-on versions in modules/eks/versions_table.tf; supported: ${join(", ", keys(local.addon_versions))}."
    }
    precondition {
      condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
      error_message = "A public Kubernetes API endpoint needs public_access_cidrs (the office, VPN or CI ranges allowed to reach it)."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.cluster,
    aws_iam_role_policy_attachment.cluster,
  ]
}

# Inside the VPC the API is reached through the cluster security group: these are the clients
# allowed to (the CI runner, the SSM access instance), by security group, on HTTPS only.
resource "aws_vpc_security_group_ingress_rule" "api_clients" {
  for_each                     = var.api_client_security_group_ids
  security_group_id            = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  description                  = "Kubernetes API from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}
