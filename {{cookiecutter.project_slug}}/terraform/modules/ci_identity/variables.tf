variable "project" {
  description = "Project slug; roles are <project>-<environment>-plan and -provision, the boundary <project>-<environment>-boundary."
  type        = string
}

variable "environment" {
  description = "Environment the roles serve."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "github_repository" {
  description = "GitHub repository as owner/name; only its workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}

variable "github_oidc_provider_arn" {
  description = "The account's IAM OIDC provider for token.actions.githubusercontent.com."
  type        = string
}

variable "state_bucket_name" {
  description = "Bucket holding the environments' state (key <environment>/terraform.tfstate)."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key the state is encrypted with."
  type        = string
}
