output "role_arn" {
  description = "Role deploy.yml's deploy job and the redeploy workflow assume."
  value       = aws_iam_role.this.arn
}

output "oidc_subjects" {
  description = "OIDC subjects the role admits."
  value       = local.subjects
}
