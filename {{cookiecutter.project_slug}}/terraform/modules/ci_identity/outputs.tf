output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to apply and deploy this environment."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of that role."
  value       = aws_iam_role.deploy.name
}

output "permissions_boundary_arn" {
  description = "Permissions boundary every role of the environment must carry."
  value       = aws_iam_policy.boundary.arn
}
