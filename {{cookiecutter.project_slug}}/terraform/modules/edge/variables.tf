variable "name" {
  description = "Name prefix, <project>-<environment>; the bucket is <name>-static-<account id>."
  type        = string
}

variable "domain_name" {
  description = "Public domain served by CloudFront (certificate in us-east-1); empty for the default *.cloudfront.net name."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name such as api.example.org."
  }
}

variable "load_balancer_dns_name" {
  description = "DNS name of the application load balancer, the default origin."
  type        = string
}

variable "origin_protocol" {
  description = "How CloudFront reaches the load balancer: https (a domain and certificate exist) or http."
  type        = string

  validation {
    condition     = contains(["http", "https"], var.origin_protocol)
    error_message = "origin_protocol must be http or https."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the static-assets bucket (its policy must let CloudFront decrypt)."
  type        = string
}

variable "log_bucket_name" {
  description = "Bucket that receives the static bucket's server access logs."
  type        = string
}

variable "log_bucket_domain_name" {
  description = "Domain name of the bucket that receives CloudFront's access logs."
  type        = string
}

variable "price_class" {
  description = "CloudFront price class: which edge locations serve the distribution."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "log_retention_days" {
  description = "Days the edge WAF logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}
