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
