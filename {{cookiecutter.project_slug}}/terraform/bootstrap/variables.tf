variable "region" {
  description = "AWS region of the shared resources (state bucket, ECR)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account to bootstrap; the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit AWS account id."
  }
}

variable "project" {
  description = "Project slug: names the state bucket, the ECR repository and the plan role."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.project)) && !can(regex("--", var.project))
    error_message = "project must be 2-21 lowercase letters, digits and single hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose pull requests may run terraform plan."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}
