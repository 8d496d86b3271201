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
  description = "DNS name of the internal application load balancer, the default origin."
  type        = string
}

variable "load_balancer_arn" {
  description = "ARN of the internal application load balancer, which the VPC origin reaches."
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

variable "log_bucket_arn" {
  description = "ARN of the bucket that receives CloudFront's access logs (under cloudfront/); its policy must let CloudWatch Logs delivery write there."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name; when set, Terraform writes the certificate's validation records and the domain's alias records. Empty: the records are created by hand."
  type        = string
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || (can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id)) && var.domain_name != "")
    error_message = "route53_zone_id must be empty or a hosted zone id such as Z0123456789ABCDEFGHIJ, and needs a domain_name."
  }
}

variable "max_request_body_bytes" {
  description = "Largest request body the app accepts (its MAX_CONTENT_LENGTH); the edge's web ACL answers 413 above it."
  type        = number
}

variable "rate_limit_per_ip" {
  description = "Requests one client IP may send in 5 minutes before the edge's web ACL answers 429."
  type        = number
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
