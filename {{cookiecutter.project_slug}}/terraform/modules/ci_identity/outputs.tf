output "deploy_role_arn" {
  description = "Role GitHub Actions assumes for deploys to this environment."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of that role."
  value       = aws_iam_role.deploy.name
}
