output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the control plane and nodes."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "node_security_group_id" {
  description = "Security group of the nodes, for other modules to open ports on."
  value       = aws_security_group.nodes.id
}

output "node_autoscaling_group_name" {
  description = "Auto Scaling group behind the managed node group (the load balancer attaches to it)."
  value       = aws_eks_node_group.this.resources[0].autoscaling_groups[0].name
}

output "app_role_arn" {
  description = "IAM role the application's pods get through EKS Pod Identity."
  value       = aws_iam_role.app.arn
}

output "cluster_version" {
  description = "Kubernetes minor version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "node_group_name" {
  description = "Name of the managed node group (generated, so a replacement can start before the old group goes)."
  value       = aws_eks_node_group.this.node_group_name
}

output "cluster_autoscaler_role_arn" {
  description = "IAM role the Cluster Autoscaler's service account (kube-system/cluster-autoscaler) gets through EKS Pod Identity."
  value       = aws_iam_role.cluster_autoscaler.arn
}

output "node_role_arn" {
  description = "IAM role of the nodes (pulls images, also cross-account from the registry account)."
  value       = aws_iam_role.nodes.arn
}

output "cluster_endpoint_public_access" {
  description = "Whether the Kubernetes API also has a public endpoint (limited to public_access_cidrs)."
  value       = aws_eks_cluster.this.vpc_config[0].endpoint_public_access
}

output "cluster_admin_arns" {
  description = "Principals with cluster-admin access entries."
  value       = sort(keys(aws_eks_access_entry.admins))
}

output "addon_versions" {
  description = "Add-on versions this cluster runs, by add-on name."
  value = {
    for addon in [aws_eks_addon.vpc_cni, aws_eks_addon.kube_proxy, aws_eks_addon.coredns, aws_eks_addon.pod_identity_agent, aws_eks_addon.metrics_server, aws_eks_addon.cloudwatch_observability] :
    addon.addon_name => addon.addon_version
  }
}

output "app_database_connect_arns" {
  description = "What the app's role policy grants rds-db:connect on (read back from the policy document)."
  value       = flatten([for statement in data.aws_iam_policy_document.app.statement : statement.resources if contains(statement.actions, "rds-db:connect")])
}
