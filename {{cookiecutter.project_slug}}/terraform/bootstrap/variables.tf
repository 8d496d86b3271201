variable "region" {
  description = "AWS region of the shared resources (state bucket, ECR)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account to bootstrap (from <environment>.tfvars); the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit AWS account id."
  }
}

variable "project" {
  description = "Project slug: names the state bucket, the ECR repository and every role."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.project)) && !can(regex("--", var.project))
    error_message = "project must be 2-21 lowercase letters, digits and single hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows the roles trust."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}

variable "environments" {
  description = "Environments that live in this account (from <environment>.tfvars): both when they share one."
  type        = list(string)

  validation {
    condition     = length(var.environments) > 0 && alltrue([for environment in var.environments : contains(["staging", "production"], environment)])
    error_message = "environments must list staging and/or production."
  }
}

variable "registry_account_id" {
  description = "Account that holds the ECR repository and the build role (the staging account)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be the 12-digit AWS account id."
  }
}

variable "production_account_id" {
  description = "Account of production; when it is not the registry account, production's roles may pull images across accounts."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.production_account_id))
    error_message = "production_account_id must be the 12-digit AWS account id."
  }
}

variable "github_oidc_provider_exists" {
  description = "The account already has an IAM OIDC provider for token.actions.githubusercontent.com: adopt it instead of creating one (invoke bootstrap detects it)."
  type        = bool
  default     = false
}
