output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "ecr_repository_url" {
  description = "ECR repository the image is pushed to (shared by both environments)."
  value       = local.repository_url
}

output "app_role_arn" {
  description = "IAM role of the app's pods (EKS Pod Identity)."
  value       = module.eks.app_role_arn
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to deploy this environment."
  value       = module.deploy_role.role_arn
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server (private, or public and private; see kubernetes_api_access)."
  value       = module.eks.cluster_endpoint
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.eks.cluster_arn
}

output "kubernetes_api_access" {
  description = "How the Kubernetes API is reached: private (runner in the VPC, SSM tunnel for people) or public (listed CIDRs)."
  value       = var.kubernetes_api_access
}

output "runner_project_name" {
  description = "CodeBuild project of the VPC's GitHub Actions runner; jobs say runs-on: codebuild-<this>-<run id>-<attempt>."
  value       = module.ci_runner.project_name
}

output "access_instance_id" {
  description = "SSM-only instance for invoke tunnel (empty when the API is public)."
  value       = local.private_api ? module.access_host[0].instance_id : ""
}

output "provision_role_arn" {
  description = "Role that applies this environment's Terraform (made by terraform/bootstrap)."
  value       = local.provision_role_arn
}

output "cluster_autoscaler_role_arn" {
  description = "Pod Identity role of kube-system/cluster-autoscaler."
  value       = module.eks.cluster_autoscaler_role_arn
}

output "node_group_name" {
  description = "Managed node group the Cluster Autoscaler resizes (its ASG carries the auto-discovery tags)."
  value       = module.eks.node_group_name
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC."
  value       = module.network.vpc_cidr_block
}

output "availability_zone_ids" {
  description = "Zone IDs the environment's subnets span."
  value       = module.network.zone_ids
}

output "database_host" {
  description = "Host name of the RDS instance."
  value       = module.database.address
}

output "database_port" {
  description = "Port of the RDS instance."
  value       = module.database.port
}

output "database_name" {
  description = "Name of the application database."
  value       = module.database.database_name
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the database username and password (managed by RDS)."
  value       = module.database.master_secret_arn
}

output "target_group_arn" {
  description = "ALB target group of the app's node port."
  value       = module.load_balancer.target_group_arn
}

output "load_balancer_dns_name" {
  description = "DNS name of the application load balancer."
  value       = module.load_balancer.dns_name
}

output "static_bucket_name" {
  description = "Bucket of the static assets (empty when CloudFront is off)."
  value       = {{ 'module.edge.static_bucket_name' if cookiecutter.use_cloudfront == 'y' else '""' }}
}

output "cloudfront_distribution_id" {
  description = "CloudFront distribution id (empty when CloudFront is off)."
  value       = {{ 'module.edge.distribution_id' if cookiecutter.use_cloudfront == 'y' else '""' }}
}

output "app_log_group_name" {
  description = "Log group of the app's container logs."
  value       = module.observability.app_log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify; subscribe on-call tooling to it."
  value       = module.observability.alarm_topic_arn
}

output "certificate_validation_records" {
  description = "DNS records ACM needs to issue the certificates (empty without a domain; one record when both certificates ask for the same); Terraform writes them itself when route53_zone_id is set."
  value       = {{ 'distinct(concat(module.load_balancer.certificate_validation_records, module.edge.certificate_validation_records))' if cookiecutter.use_cloudfront == 'y' else 'module.load_balancer.certificate_validation_records' }}
}

output "dns_target" {
  description = "Name the domain's DNS record points at ({{ 'the CloudFront distribution' if cookiecutter.use_cloudfront == 'y' else 'the load balancer' }}); Terraform writes that record itself when route53_zone_id is set."
  value       = {{ 'module.edge.distribution_domain_name' if cookiecutter.use_cloudfront == 'y' else 'module.load_balancer.dns_name' }}
}

output "no_tls_warning" {
  description = "Empty, or a sentence saying the service is served over plain HTTP (no CloudFront and no domain)."
  value       = module.load_balancer.no_tls_warning
}

output "database_app_username" {
  description = "The app's database role, <package>_app, which logs in with RDS IAM authentication."
  value       = module.database.app_username
}

output "database_app_connect_arn" {
  description = "The rds-db:connect resource the app's IAM role needs: arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<package>_app."
  value       = module.database.app_connect_arn
}
{%- if cookiecutter.use_worker_instance == 'y' %}

output "worker_instance_id" {
  description = "Instance id of the worker (aws ssm start-session --target <id>)."
  value       = module.worker.instance_id
}
{%- endif %}

output "app_database_connect_arns" {
  description = "What the app's IAM role may rds-db:connect to, read back from its policy."
  value       = module.eks.app_database_connect_arns
}

output "waf_rate_limit_per_ip" {
  description = "Requests per 5 minutes one client IP may send to the public web ACL ({{ 'CloudFront' if cookiecutter.use_cloudfront == 'y' else 'the load balancer' }}) before it answers 429."
  value       = module.{{ 'edge' if cookiecutter.use_cloudfront == 'y' else 'load_balancer' }}.rate_limit_per_ip
}
