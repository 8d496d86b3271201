output "json" {
  description = "The trust policy document."
  value       = data.aws_iam_policy_document.this.json
}
