variable "name" {
  description = "Name prefix, <project>-<environment>."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the worker."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t3.small or t4g.small."
  }
}

variable "vpc_id" {
  description = "VPC of the worker's security group."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of that VPC; the worker may reach anything inside it."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR such as 10.0.0.0/16."
  }
}

variable "subnet_id" {
  description = "Private subnet the worker runs in."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the root volume and the log group."
  type        = string
}

variable "volume_size_gb" {
  description = "Root volume size in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.volume_size_gb >= 8 && var.volume_size_gb <= 1000
    error_message = "volume_size_gb must be between 8 and 1000."
  }
}

variable "log_retention_days" {
  description = "Days the worker's logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "readable_secret_arns" {
  description = "Secrets Manager secrets the worker's jobs may read (e.g. the database credentials)."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the module carries (from ci_identity)."
  type        = string
}
