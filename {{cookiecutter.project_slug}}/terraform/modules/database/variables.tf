variable "identifier" {
  description = "RDS instance identifier, <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.identifier)) && !can(regex("--|-$", var.identifier))
    error_message = "identifier must start with a letter, hold only lowercase letters, digits and single hyphens, not end in a hyphen, and be at most 63 characters."
  }
}

variable "database_name" {
  description = "Name of the database created in the instance (the Python package name); the app's role is <database_name>_app."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,58}$", var.database_name))
    error_message = "database_name must start with a letter and hold only letters, digits and underscores (at most 59 characters, so the app's role <database_name>_app fits PostgreSQL's 63)."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,15}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must start with a letter, hold only letters, digits and underscores (at most 16), and not be a reserved name (postgres, admin, rdsadmin)."
  }
}

variable "postgres_major_version" {
  description = "PostgreSQL major version, e.g. 17."
  type        = string

  validation {
    condition     = contains(["15", "16", "17"], var.postgres_major_version)
    error_message = "postgres_major_version must be 15, 16 or 17."
  }
}

variable "instance_class" {
  description = "RDS instance class, e.g. db.t4g.micro."
  type        = string

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as db.t4g.micro or db.m7g.large."
  }
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536 (gp3 limits)."
  }
}

variable "max_allocated_storage_gb" {
  description = "Ceiling of storage autoscaling in GiB."
  type        = number

  validation {
    condition     = var.max_allocated_storage_gb <= 65536
    error_message = "max_allocated_storage_gb must be at most 65536."
  }
}

variable "multi_az" {
  description = "Keep a synchronous standby in another zone."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is switched off."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days automated backups are kept."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 (the house minimum) and 35 (the RDS maximum)."
  }
}

variable "slow_statement_ms" {
  description = "Statements slower than this many milliseconds are logged."
  type        = number
  default     = 500

  validation {
    condition     = var.slow_statement_ms >= 0
    error_message = "slow_statement_ms must be zero or more."
  }
}

variable "log_retention_days" {
  description = "Days the exported PostgreSQL logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "vpc_id" {
  description = "VPC of the database security group."
  type        = string
}

variable "subnet_ids" {
  description = "Database subnets (no route out of the VPC), at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different zones (RDS requires two)."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect on 5432, by a stable key (e.g. { nodes = sg-... })."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage, the master secret, Performance Insights and log exports."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the module carries (from ci_identity)."
  type        = string
}
