variable "provider_arn" {
  description = "ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com."
  type        = string
}

variable "subjects" {
  description = "Exact OIDC subjects admitted: repo:<owner/name>:<context>:job_workflow_ref:<owner/name>/.github/workflows/<file>@<ref>."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for subject in var.subjects : can(regex("^repo:[^:]+/[^:]+:(environment:[^:]+|ref:refs/heads/[^:]+|pull_request):job_workflow_ref:[^:]+/\\.github/workflows/[^:@]+@refs/[^:]+$", subject))])
    error_message = "subjects must look like repo:<owner/name>:<context>:job_workflow_ref:<owner/name>/.github/workflows/<file>@<ref>."
  }
}

variable "subject_patterns" {
  description = "OIDC subject patterns admitted with StringLike (only where a part is unknown in advance, e.g. a pull request's number)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for subject in var.subject_patterns : can(regex("^repo:[^:*]+/[^:*]+:[^*]+:job_workflow_ref:[^:*]+/\\.github/workflows/[^:@*]+@refs/", subject))])
    error_message = "subject_patterns may leave only the ref open: repo:<owner/name>:<context>:job_workflow_ref:<owner/name>/.github/workflows/<file>@refs/<pattern>."
  }
}
