variable "name" {
  description = "Name prefix of alarms, the topic and the dashboard, <project>-<environment>."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster whose Container Insights metrics and log groups are watched."
  type        = string
}

variable "app_namespace" {
  description = "Kubernetes namespace of the application."
  type        = string
}

variable "app_name" {
  description = "Name of the app's Deployment (Container Insights' PodName dimension)."
  type        = string
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the app's embedded-format metrics."
  type        = string
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (alarm dimension)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (alarm dimension)."
  type        = string
}

variable "db_instance_identifier" {
  description = "RDS instance identifier (alarm dimension)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the log groups and the alarm topic."
  type        = string
}

variable "log_retention_days" {
  description = "Days application and performance logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "runbook_url" {
  description = "Web address of docs/runbook.md; each alarm's description links to its section (#<alarm key>)."
  type        = string

  validation {
    condition     = can(regex("^https://[^#\\s]+$", var.runbook_url))
    error_message = "runbook_url must be an https:// address without a fragment, such as https://github.com/example-org/example-service/blob/main/docs/runbook.md."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm once)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alarm_emails must hold e-mail addresses such as oncall@example.com."
  }
}

variable "max_5xx_per_minute" {
  description = "5xx responses per minute tolerated before alarming."
  type        = number
  default     = 5

  validation {
    condition     = var.max_5xx_per_minute >= 0
    error_message = "max_5xx_per_minute must be zero or more."
  }
}

variable "p99_latency_seconds" {
  description = "p99 response time, in seconds, above which the latency alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.p99_latency_seconds > 0
    error_message = "p99_latency_seconds must be greater than zero."
  }
}

variable "rds_cpu_percent" {
  description = "Database CPU percentage above which the alarm fires."
  type        = number
  default     = 80

  validation {
    condition     = var.rds_cpu_percent > 0 && var.rds_cpu_percent <= 100
    error_message = "rds_cpu_percent must be between 1 and 100."
  }
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage in GiB; the free-storage alarm sits below the point where RDS storage autoscaling acts."
  type        = number

  validation {
    condition     = var.db_allocated_storage_gb >= 20
    error_message = "db_allocated_storage_gb must be at least 20 (the gp3 minimum)."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Ceiling of database storage autoscaling in GiB (equal to db_allocated_storage_gb when autoscaling is off)."
  type        = number

  validation {
    condition     = var.db_max_allocated_storage_gb >= var.db_allocated_storage_gb
    error_message = "db_max_allocated_storage_gb must be at least db_allocated_storage_gb."
  }
}

variable "rds_max_connections" {
  description = "Database connections above which the alarm fires (set below the instance's max_connections)."
  type        = number

  validation {
    condition     = var.rds_max_connections > 0
    error_message = "rds_max_connections must be greater than zero."
  }
}

variable "max_restarts_per_15_minutes" {
  description = "Container restarts in the app namespace tolerated per 15 minutes."
  type        = number
  default     = 3

  validation {
    condition     = var.max_restarts_per_15_minutes >= 0
    error_message = "max_restarts_per_15_minutes must be zero or more."
  }
}
