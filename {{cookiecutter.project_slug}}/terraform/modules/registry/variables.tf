variable "name" {
  description = "Repository name (the project slug; one repository serves every environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name)) && length(var.name) <= 256
    error_message = "name must be a valid ECR repository name: lowercase letters and digits separated by '.', '_', '-' or '/', at most 256 characters."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "keep_images" {
  description = "How many images to keep; older ones expire."
  type        = number
  default     = 100

  validation {
    condition     = var.keep_images >= 10
    error_message = "keep_images must be at least 10, so a rollback target is never expired."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "pull_principal_arns" {
  description = "IAM roles of other accounts allowed to pull (e.g. production's node and deploy roles)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.pull_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "pull_principal_arns must hold IAM role ARNs."
  }
}
