output "address" {
  description = "Host name of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port PostgreSQL listens on."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "identifier" {
  description = "RDS instance identifier (the alarms' dimension)."
  value       = aws_db_instance.this.identifier
}

output "master_secret_arn" {
  description = "Secrets Manager secret (username, password) RDS manages for the master user."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the instance."
  value       = aws_security_group.this.id
}
