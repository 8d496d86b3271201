output "project_name" {
  description = "CodeBuild project of the runner; jobs say runs-on: codebuild-<project_name>-<github.run_id>-<github.run_attempt>."
  value       = aws_codebuild_project.this.name
}

output "security_group_id" {
  description = "Security group of the runner (admitted to the Kubernetes API)."
  value       = aws_security_group.this.id
}

output "role_arn" {
  description = "Service role of the runner host (not the identity jobs act with)."
  value       = aws_iam_role.this.arn
}
