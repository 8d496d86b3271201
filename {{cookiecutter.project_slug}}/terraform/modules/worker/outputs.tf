output "instance_id" {
  description = "Id of the worker instance (aws ssm start-session --target <id>)."
  value       = aws_instance.this.id
}

output "security_group_id" {
  description = "Security group of the worker (the database admits it)."
  value       = aws_security_group.this.id
}
