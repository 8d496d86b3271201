variable "name" {
  description = "Environment name prefix, <project>-<environment>; the CodeBuild project is <name>-runner."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{1,247}$", var.name))
    error_message = "name must be letters, digits, hyphens and underscores, starting with a letter or digit (CodeBuild project names)."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflow jobs the runner takes."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}

variable "connection_arn" {
  description = "CodeConnections connection to GitHub (created by terraform/bootstrap; a person completes it once in the console)."
  type        = string
}

variable "vpc_id" {
  description = "VPC the runner runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the runner (they reach the internet through the NAT)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must list at least one private subnet."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the environment: the runner's logs and build data."
  type        = string
}

variable "log_retention_days" {
  description = "Days the runner's logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "compute_type" {
  description = "CodeBuild compute type of a runner (BUILD_GENERAL1_SMALL: 2 vCPU, 3 GiB)."
  type        = string
  default     = "BUILD_GENERAL1_SMALL"

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"], var.compute_type)
    error_message = "compute_type must be BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM or BUILD_GENERAL1_LARGE."
  }
}

variable "image" {
  description = "CodeBuild image the runner's jobs start from."
  type        = string
  default     = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
}

variable "build_timeout_minutes" {
  description = "Longest a job may run on the runner before CodeBuild stops it."
  type        = number
  default     = 60

  validation {
    condition     = var.build_timeout_minutes >= 5 && var.build_timeout_minutes <= 480
    error_message = "build_timeout_minutes must be between 5 and 480 (CodeBuild's limits)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the environment carries."
  type        = string
}
