# Nodes and add-ons follow kubernetes_version; node groups are replaced create-before-destroy.
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
  node_instance_type       = "m7g.large"
  node_min_size            = 2
  node_max_size            = 6
  node_desired_size        = 2
  log_retention_days       = 30
  deletion_protection      = true
  app_namespace            = "probe"
  app_service_account      = "probe"
  app_secret_arns          = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-probe"]
  app_kms_key_arns         = ["arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000002"]
  metrics_namespace        = "probe"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/probe-staging-boundary"
  container_insights_log_group_arns = [
    for group in ["application", "dataplane", "host", "performance"] :
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/containerinsights/probe-staging/${group}"
  ]
}

run "kubernetes_1_35" {
  command = plan

  assert {
    condition     = aws_eks_node_group.this.version == "1.35" && aws_eks_node_group.this.node_group_name_prefix == "probe-staging-default-"
    error_message = "Nodes run the control plane's version; the group has a generated name so it can be replaced create-before-destroy."
  }

  assert {
    condition     = aws_eks_node_group.this.ami_type == "AL2023_ARM_64_STANDARD"
    error_message = "A Graviton node type gets the ARM image."
  }

  assert {
    condition     = [aws_eks_addon.vpc_cni.addon_version, aws_eks_addon.kube_proxy.addon_version, aws_eks_addon.coredns.addon_version] == ["v1.21.2-eksbuild.2", "v1.35.3-eksbuild.2", "v1.14.2-eksbuild.4"]
    error_message = "1.35's add-on versions come from the dated table."
  }

  assert {
    condition     = terraform_data.container_insights_log_groups.input == var.container_insights_log_group_arns
    error_message = "The CloudWatch add-on waits for its four log groups (depends_on this holder of their ARNs)."
  }

  assert {
    condition     = jsondecode(aws_eks_addon.cloudwatch_observability.configuration_values).agent.config.logs.metrics_collected.emf == {}
    error_message = "The CloudWatch agent runs its embedded metric format receiver (port 25888, TCP and UDP)."
  }

  assert {
    condition     = jsondecode(aws_eks_addon.cloudwatch_observability.configuration_values).agent.config.metrics.metrics_collected.otlp == { grpc_endpoint = "0.0.0.0:4317", http_endpoint = "0.0.0.0:4318" }
    error_message = "The CloudWatch agent takes OTLP metrics from other pods on 4317 (gRPC) and 4318 (HTTP)."
  }

  assert {
    condition     = jsondecode(aws_eks_addon.cloudwatch_observability.configuration_values).agent.config.traces.traces_collected.otlp == { grpc_endpoint = "0.0.0.0:4317", http_endpoint = "0.0.0.0:4318" }
    error_message = "The CloudWatch agent takes OTLP traces from other pods on 4317 (gRPC) and 4318 (HTTP)."
  }

  assert {
    condition     = jsondecode(aws_eks_addon.cloudwatch_observability.configuration_values).agent.config.logs.metrics_collected.kubernetes.enhanced_container_insights
    error_message = "Container Insights (enhanced observability) stays on with the explicit configuration."
  }

  assert {
    condition     = data.aws_eks_addon_version.default["metrics-server"].kubernetes_version == "1.35"
    error_message = "Unpinned add-ons follow EKS's default for the cluster's version."
  }

  assert {
    condition     = aws_eks_pod_identity_association.cluster_autoscaler.namespace == "kube-system" && aws_eks_pod_identity_association.cluster_autoscaler.service_account == "cluster-autoscaler"
    error_message = "The Cluster Autoscaler's role is bound to kube-system/cluster-autoscaler."
  }

  assert {
    condition     = aws_iam_role.cluster_autoscaler.name == "probe-staging-cluster-autoscaler" && aws_iam_role.cluster_autoscaler.permissions_boundary == "arn:aws:iam::123456789012:policy/probe-staging-boundary"
    error_message = "The Cluster Autoscaler's role is named after the cluster and bounded."
  }

  assert {
    condition = toset([for c in data.aws_iam_policy_document.pod_assume["cluster-autoscaler"].statement[0].condition : "${c.variable}=${join(",", c.values)}"]) == toset([
      "aws:SourceAccount=123456789012",
      "aws:RequestTag/eks-cluster-arn=arn:aws:eks:us-east-1:123456789012:cluster/probe-staging",
      "aws:RequestTag/kubernetes-namespace=kube-system",
      "aws:RequestTag/kubernetes-service-account=cluster-autoscaler",
    ])
    error_message = "A pod role is trusted only by its own cluster, namespace and service account."
  }

  assert {
    condition     = [for c in data.aws_iam_policy_document.cluster_autoscaler.statement[1].condition : c.variable] == ["aws:ResourceTag/k8s.io/cluster-autoscaler/probe-staging"]
    error_message = "The Cluster Autoscaler may resize only this cluster's groups."
  }
}

run "kubernetes_1_36_moves_the_add_ons_with_it" {
  command = plan

  variables {
    kubernetes_version = "1.36"
  }

  assert {
    condition     = aws_eks_addon.kube_proxy.addon_version == "v1.36.2-eksbuild.7" && aws_eks_node_group.this.version == "1.36"
    error_message = "Changing the version upgrades kube-proxy and the nodes in the same apply."
  }
}

run "a_version_without_add_on_versions_is_refused_and_warned_about" {
  command = plan

  variables {
    kubernetes_version = "1.31"
  }

  expect_failures = [aws_eks_cluster.this, check.kubernetes_version_in_standard_support]
}
