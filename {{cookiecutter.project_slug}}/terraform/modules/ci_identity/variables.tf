variable "name" {
  description = "Name prefix, <project>-<environment>; the role is <name>-deploy, the boundary <name>-boundary."
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

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}
