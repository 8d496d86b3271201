variable "name" {
  description = "Name of the web ACL, its metrics and (after the aws-waf-logs- prefix WAF requires) its log group."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,111}$", var.name))
    error_message = "name must be 1-111 letters, digits, '_' or '-': rule metric names append up to 17 characters to it and WAF allows 128."
  }
}

variable "description" {
  description = "What the web ACL protects."
  type        = string
}

variable "scope" {
  description = "REGIONAL for a load balancer; CLOUDFRONT for a distribution (then the caller's provider must be in us-east-1)."
  type        = string

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope must be REGIONAL or CLOUDFRONT."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the log group; null for CloudWatch Logs' own encryption (a CloudFront web ACL logs in us-east-1, where the environment's key may not exist)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days the WAF logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "max_request_body_bytes" {
  description = "Largest request body the service accepts (the app's MAX_CONTENT_LENGTH); a larger Content-Length is answered 413 here."
  type        = number

  validation {
    condition     = var.max_request_body_bytes >= 1024 && var.max_request_body_bytes <= 1073741824 && floor(var.max_request_body_bytes) == var.max_request_body_bytes
    error_message = "max_request_body_bytes must be a whole number of bytes between 1024 and 1073741824 (the app's MAX_CONTENT_LENGTH range)."
  }
}

variable "rate_limit_per_ip" {
  description = "Requests one client IP may send in 5 minutes before WAF answers 429; null for no rate rule (an ACL behind CloudFront sees CloudFront's addresses, not the clients')."
  type        = number
  default     = null

  validation {
    condition     = var.rate_limit_per_ip == null ? true : var.rate_limit_per_ip >= 10 && var.rate_limit_per_ip <= 2000000000 && floor(var.rate_limit_per_ip) == var.rate_limit_per_ip
    error_message = "rate_limit_per_ip must be null or a whole number of requests between 10 and 2000000000 (WAF's rate-based rule limits)."
  }
}
