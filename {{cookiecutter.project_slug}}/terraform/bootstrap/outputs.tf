output "state_bucket" {
  description = "Bucket holding every environment's Terraform state (key <environment>/terraform.tfstate)."
  value       = module.state_bucket.name
}

output "ecr_repository_url" {
  description = "ECR repository of the service image, shared by all environments."
  value       = module.registry.repository_url
}

output "plan_role_arn" {
  description = "Role pull-request workflows assume to run terraform plan."
  value       = aws_iam_role.plan.arn
}

output "github_oidc_provider_arn" {
  description = "IAM OIDC provider for GitHub Actions (the deploy roles trust it)."
  value       = aws_iam_openid_connect_provider.github.arn
}
