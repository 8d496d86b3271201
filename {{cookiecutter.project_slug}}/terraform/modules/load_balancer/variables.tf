variable "name" {
  description = "Name of the load balancer and its target group, <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,30}[a-zA-Z0-9]$", var.name))
    error_message = "name must be 2-32 letters, digits or hyphens, not starting or ending with a hyphen (the load balancer and target group name limit)."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and the nodes."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the load balancer spans (at least two zones): the public ones, or the private ones when it sits behind CloudFront."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different zones (an ALB requires two)."
  }
}

variable "node_security_group_id" {
  description = "Security group of the EKS nodes; the node port is opened on it for the load balancer."
  type        = string
}

variable "node_autoscaling_group_name" {
  description = "Auto Scaling group of the managed node group; its instances become the targets."
  type        = string
}

variable "node_port" {
  description = "NodePort of the app's Kubernetes Service."
  type        = number
  default     = 30080

  validation {
    condition     = var.node_port >= 30000 && var.node_port <= 32767
    error_message = "node_port must be in the Kubernetes NodePort range 30000-32767."
  }
}

variable "domain_name" {
  description = "Public domain of the service; when set, the load balancer gets an ACM certificate and an HTTPS listener. Empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name such as api.example.org."
  }
}

variable "behind_cloudfront" {
  description = "CloudFront fronts the service through a VPC origin: the load balancer is internal (private subnets) and admits only CloudFront; otherwise it is internet-facing."
  type        = bool
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name; when set, Terraform writes the certificate's validation records and (without CloudFront) the domain's alias. Empty: the records are created by hand."
  type        = string
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || (can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id)) && var.domain_name != "")
    error_message = "route53_zone_id must be empty or a hosted zone id such as Z0123456789ABCDEFGHIJ, and needs a domain_name."
  }
}

variable "max_request_body_bytes" {
  description = "Largest request body the app accepts (its MAX_CONTENT_LENGTH); the web ACL answers 413 above it."
  type        = number
}

variable "rate_limit_per_ip" {
  description = "Requests one client IP may send in 5 minutes before the web ACL answers 429. Not applied behind CloudFront, where the edge's web ACL sees the clients."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer until this is switched off."
  type        = bool
}

variable "kms_key_arn" {
  description = "KMS key of the WAF log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days WAF logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "access_log_retention_days" {
  description = "Days access logs of the load balancer and CloudFront are kept in the log bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1
    error_message = "access_log_retention_days must be at least 1."
  }
}
