variable "name" {
  description = "Name prefix, <project>-<environment>; the role is <name>-deploy."
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

variable "ecr_repository_arn" {
  description = "ECR repository the pipeline pushes the image to."
  type        = string
}

variable "cluster_arn" {
  description = "EKS cluster the pipeline deploys to (its access entry is made by the eks module)."
  type        = string
}

variable "state_bucket" {
  description = "Terraform state bucket; the role may read and write the environment's prefix."
  type        = string
}

variable "kms_key_arn" {
  description = "Environment KMS key (static assets are encrypted with it)."
  type        = string
}

variable "static_bucket_arn" {
  description = "Static-assets bucket the pipeline uploads to; empty when there is none."
  type        = string
  default     = ""
}

variable "cloudfront_distribution_arn" {
  description = "Distribution the pipeline invalidates after uploading assets; empty when there is none."
  type        = string
  default     = ""
}
