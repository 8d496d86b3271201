# Add-ons are pinned per Kubernetes version (versions_table.tf) or follow EKS's default for the
# cluster's version: either way they move with kubernetes_version, in the same apply.
data "aws_eks_addon_version" "default" {
  for_each           = toset(["eks-pod-identity-agent", "metrics-server", "amazon-cloudwatch-observability"])
  addon_name         = each.key
  kubernetes_version = aws_eks_cluster.this.version
}

locals {
  # An unlisted version gets no pins here; the cluster's precondition then stops the plan.
  pinned = lookup(local.addon_versions, var.kubernetes_version, { "vpc-cni" = null, "kube-proxy" = null, "coredns" = null })
}

resource "aws_eks_addon" "vpc_cni" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "vpc-cni"
  addon_version               = local.pinned["vpc-cni"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  # The app's NetworkPolicy objects are enforced by the VPC CNI's network policy agent.
  configuration_values = jsonencode({ enableNetworkPolicy = "true" })
}

resource "aws_eks_addon" "kube_proxy" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "kube-proxy"
  addon_version               = local.pinned["kube-proxy"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "eks-pod-identity-agent"
  addon_version               = data.aws_eks_addon_version.default["eks-pod-identity-agent"].version
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

# CoreDNS, metrics-server and the CloudWatch agent run as pods, so they wait for nodes.
resource "aws_eks_addon" "coredns" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "coredns"
  addon_version               = local.pinned["coredns"]
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  depends_on                  = [aws_eks_node_group.this]
}

# The app's HorizontalPodAutoscaler reads CPU from the metrics API.
resource "aws_eks_addon" "metrics_server" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "metrics-server"
  addon_version               = data.aws_eks_addon_version.default["metrics-server"].version
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  depends_on                  = [aws_eks_node_group.this]
}

# The add-on's groups (made by the observability module, with retention and the key): a resource
# cannot depend on a variable, so this holds their ARNs for the add-on's depends_on. Otherwise the
# agent creates them first, never expiring and unencrypted, and the apply of the groups then fails.
resource "terraform_data" "container_insights_log_groups" {
  input = var.container_insights_log_group_arns
}

locals {
  # The CloudWatch agent's receivers the app's pods send to (k8s/base/networkpolicies.yaml admits
  # exactly these ports): embedded metric format records on 25888 (TCP and UDP), OpenTelemetry
  # metrics and traces on 4317 (gRPC) and 4318 (HTTP); Application Signals keeps 4315/4316.
  cloudwatch_agent_config = {
    logs = {
      metrics_collected = {
        kubernetes          = { enhanced_container_insights = true }
        application_signals = {}
        emf                 = {}
      }
    }
    metrics = {
      metrics_collected = {
        otlp = { grpc_endpoint = "0.0.0.0:4317", http_endpoint = "0.0.0.0:4318" }
      }
    }
    traces = {
      traces_collected = {
        application_signals = {}
        otlp                = { grpc_endpoint = "0.0.0.0:4317", http_endpoint = "0.0.0.0:4318" }
      }
    }
  }
}

resource "aws_eks_addon" "cloudwatch_observability" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "amazon-cloudwatch-observability"
  addon_version               = data.aws_eks_addon_version.default["amazon-cloudwatch-observability"].version
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  configuration_values        = jsonencode({ agent = { config = local.cloudwatch_agent_config } })

  pod_identity_association {
    role_arn        = aws_iam_role.cloudwatch_agent.arn
    service_account = "cloudwatch-agent"
  }

  depends_on = [aws_eks_node_group.this, aws_eks_addon.pod_identity_agent, terraform_data.container_insights_log_groups]
}
