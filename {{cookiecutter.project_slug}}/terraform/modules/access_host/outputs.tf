output "instance_id" {
  description = "Instance to start Session Manager port forwarding on (invoke tunnel)."
  value       = aws_instance.this.id
}

output "security_group_id" {
  description = "Security group of the instance (admitted to the Kubernetes API)."
  value       = aws_security_group.this.id
}
