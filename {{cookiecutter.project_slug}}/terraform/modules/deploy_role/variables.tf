variable "name" {
  description = "Environment name prefix, <project>-<environment>; the role is <name>-deploy."
  type        = string
}

variable "environment" {
  description = "GitHub environment (and deployment environment) the role serves."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "github_repository" {
  description = "GitHub repository as owner/name; only its workflows may assume the role."
  type        = string
}

variable "workflows" {
  description = "Workflow files (on refs/heads/main, in the GitHub environment) that deploy: the pipeline and the manual redeploy."
  type        = list(string)
  default     = ["deploy.yml", "redeploy.yml"]

  validation {
    condition     = length(var.workflows) > 0 && alltrue([for file in var.workflows : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", file))])
    error_message = "workflows must list workflow file names such as deploy.yml."
  }
}

variable "cluster_arn" {
  description = "The environment's EKS cluster."
  type        = string
}

variable "state_bucket_name" {
  description = "State bucket of the account; the role reads <environment>/terraform.tfstate (outputs)."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket."
  type        = string
}

variable "registry_account_id" {
  description = "Account holding the ECR repository (the staging account)."
  type        = string
}

variable "repository_name" {
  description = "ECR repository of the service image."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "The environment's permissions boundary (made by terraform/bootstrap)."
  type        = string
}
