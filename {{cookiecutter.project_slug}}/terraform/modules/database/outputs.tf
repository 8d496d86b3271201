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

output "resource_id" {
  description = "The instance's DbiResourceId (db-...), the resource part of rds-db:connect ARNs."
  value       = aws_db_instance.this.resource_id
}

output "app_username" {
  description = "The application's database role, <package>_app, which logs in with RDS IAM authentication."
  value       = local.app_username
}

output "app_connect_arn" {
  description = "What the app's IAM role needs rds-db:connect on: arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<package>_app."
  value       = "arn:${local.partition}:rds-db:${data.aws_region.current.region}:${local.account_id}:dbuser:${aws_db_instance.this.resource_id}/${local.app_username}"
}

output "allocated_storage_gb" {
  description = "Initial storage in GiB (the free-storage alarm is placed below RDS storage autoscaling's trigger)."
  value       = var.allocated_storage_gb
}

output "max_allocated_storage_gb" {
  description = "Ceiling of storage autoscaling in GiB."
  value       = var.max_allocated_storage_gb
}
