variable "name" {
  description = "Name of the key; its alias is alias/<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,200}$", var.name))
    error_message = "name may hold only letters, digits, '/', '_' and '-' (1-200 characters)."
  }
}

variable "description" {
  description = "What the key encrypts."
  type        = string
}

variable "deletion_window_days" {
  description = "Days a scheduled deletion waits before the key is destroyed."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30 (the range AWS KMS allows)."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Let CloudWatch Logs in this region encrypt log groups of this account with the key."
  type        = bool
  default     = false
}

variable "allow_cloudwatch_alarms" {
  description = "Let CloudWatch alarms publish to SNS topics encrypted with the key."
  type        = bool
  default     = false
}

variable "allow_cloudfront" {
  description = "Let CloudFront distributions of this account read S3 objects encrypted with the key."
  type        = bool
  default     = false
}
