variable "name" {
  description = "Name of the bucket; S3 names are global, so the callers end it with the account id."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts new objects; null for SSE-S3 (AES256), the only encryption ALB and CloudFront log delivery can write to."
  type        = string
  default     = null
}

variable "object_ownership" {
  description = "BucketOwnerEnforced turns ACLs off; BucketOwnerPreferred keeps them for writers that deliver through an ACL grant (CloudFront standard logging)."
  type        = string
  default     = "BucketOwnerEnforced"

  validation {
    condition     = contains(["BucketOwnerEnforced", "BucketOwnerPreferred"], var.object_ownership)
    error_message = "object_ownership must be BucketOwnerEnforced or BucketOwnerPreferred."
  }
}

variable "expiry" {
  description = "The bucket's lifecycle rule: its id; days after which current objects expire (null: never); days after which replaced versions expire, and how many of the newest replaced versions are kept regardless (null: none)."
  type = object({
    rule_id                  = string
    current_days             = optional(number)
    noncurrent_days          = number
    noncurrent_versions_kept = optional(number)
  })

  validation {
    condition = (
      var.expiry.noncurrent_days >= 1
      && (var.expiry.current_days == null ? true : var.expiry.current_days >= 1)
      && (var.expiry.noncurrent_versions_kept == null ? true : var.expiry.noncurrent_versions_kept >= 1 && var.expiry.noncurrent_versions_kept <= 100)
    )
    error_message = "expiry: current_days and noncurrent_days must be at least 1, and noncurrent_versions_kept between 1 and 100 (S3's limit)."
  }
}

variable "access_logs" {
  description = "Where S3 server access logs of this bucket go (a bucket and a key prefix ending in /); null for a bucket that is not access-logged."
  type = object({
    bucket = string
    prefix = string
  })
  default = null

  validation {
    condition     = var.access_logs == null ? true : endswith(var.access_logs.prefix, "/")
    error_message = "access_logs.prefix must end with / so the log objects land in a folder of their own."
  }
}

variable "policy_documents" {
  description = "IAM policy documents (JSON) with the bucket's own grants, merged into its policy after the TLS-only deny, which a statement with the same sid cannot replace."
  type        = list(string)
  default     = []
}

variable "prevent_destroy" {
  description = "Make Terraform refuse any plan that destroys or replaces the bucket (for data that outlives its stack, such as Terraform state)."
  type        = bool
  default     = false
}
