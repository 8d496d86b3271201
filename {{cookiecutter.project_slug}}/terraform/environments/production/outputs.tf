output "region" {
  description = "AWS region of the environment."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = module.service.cluster_name
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = module.service.cluster_endpoint
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.service.cluster_arn
}

output "kubernetes_api_access" {
  description = "How the Kubernetes API is reached: private (VPC runner, invoke tunnel) or public (listed CIDRs)."
  value       = module.service.kubernetes_api_access
}

output "runner_project_name" {
  description = "CodeBuild project of the VPC's GitHub Actions runner (runs-on: codebuild-<this>-<run id>-<attempt>)."
  value       = module.service.runner_project_name
}

output "access_instance_id" {
  description = "SSM-only instance invoke tunnel forwards through (empty with public API access)."
  value       = module.service.access_instance_id
}

output "provision_role_arn" {
  description = "Role that applies this environment's Terraform (terraform.yml's apply job)."
  value       = module.service.provision_role_arn
}

output "cluster_autoscaler_role_arn" {
  description = "Pod Identity role of kube-system/cluster-autoscaler."
  value       = module.service.cluster_autoscaler_role_arn
}

output "node_group_name" {
  description = "Managed node group the Cluster Autoscaler resizes."
  value       = module.service.node_group_name
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (the NetworkPolicies admit it)."
  value       = module.service.vpc_cidr
}

output "availability_zone_ids" {
  description = "Zone IDs the environment's subnets span."
  value       = module.service.availability_zone_ids
}

output "ecr_repository_url" {
  description = "ECR repository the image is pushed to (shared by both environments)."
  value       = module.service.ecr_repository_url
}

output "app_role_arn" {
  description = "IAM role of the app's pods (EKS Pod Identity)."
  value       = module.service.app_role_arn
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to deploy this environment."
  value       = module.service.deploy_role_arn
}

output "database_host" {
  description = "Host name of the RDS instance."
  value       = module.service.database_host
}

output "database_port" {
  description = "Port of the RDS instance."
  value       = module.service.database_port
}

output "database_name" {
  description = "Name of the application database."
  value       = module.service.database_name
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the database username and password (managed by RDS)."
  value       = module.service.database_secret_arn
}

output "target_group_arn" {
  description = "ALB target group of the app's node port."
  value       = module.service.target_group_arn
}

output "load_balancer_dns_name" {
  description = "DNS name of the application load balancer."
  value       = module.service.load_balancer_dns_name
}

output "static_bucket_name" {
  description = "Bucket of the static assets (empty when CloudFront is off)."
  value       = module.service.static_bucket_name
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (empty when CloudFront is off)."
  value       = module.service.cloudfront_distribution_id
}

output "app_log_group_name" {
  description = "Log group of the app's container logs."
  value       = module.service.app_log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify; subscribe on-call tooling to it."
  value       = module.service.alarm_topic_arn
}

output "certificate_validation_records" {
  description = "DNS records to create so ACM can issue the certificates (empty without a domain)."
  value       = module.service.certificate_validation_records
}

output "dns_target" {
  description = "Name the domain's DNS record points at; Terraform writes that record itself when route53_zone_id is set."
  value       = module.service.dns_target
}

output "no_tls_warning" {
  description = "Empty, or a sentence saying the service is served over plain HTTP (no CloudFront and no domain)."
  value       = module.service.no_tls_warning
}

output "database_app_username" {
  description = "The app's database role, <package>_app, which logs in with RDS IAM authentication."
  value       = module.service.database_app_username
}

output "database_app_connect_arn" {
  description = "The rds-db:connect resource the app's IAM role needs."
  value       = module.service.database_app_connect_arn
}
{%- if cookiecutter.use_worker_instance == 'y' %}

output "worker_instance_id" {
  description = "Instance id of the worker (aws ssm start-session --target <id>)."
  value       = module.service.worker_instance_id
}
{%- endif %}

output "app_database_connect_arns" {
  description = "What the app's IAM role may rds-db:connect to (its database role, IAM authentication)."
  value       = module.service.app_database_connect_arns
}

output "waf_rate_limit_per_ip" {
  description = "Requests per 5 minutes one client IP may send before the public web ACL answers 429."
  value       = module.service.waf_rate_limit_per_ip
}
