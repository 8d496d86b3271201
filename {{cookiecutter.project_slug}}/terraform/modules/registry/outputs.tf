output "repository_url" {
  description = "URL to push and pull images (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = aws_ecr_repository.this.arn
}

output "pull_policy_principals" {
  description = "Roles of other accounts the repository policy lets pull."
  value       = var.pull_principal_arns
}
