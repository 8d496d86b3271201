output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "arn" {
  description = "ARN of the load balancer (CloudFront's VPC origin points at it)."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "ARN of the instance target group on the node port."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension TargetGroup)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "origin_protocol" {
  description = "Protocol CloudFront must use to reach the load balancer: https when a domain is set, else http."
  value       = local.https ? "https" : "http"
}

output "log_bucket_arn" {
  description = "ARN of the access-log bucket (CloudFront's standard logs go under cloudfront/)."
  value       = module.logs_bucket.arn
}

output "certificate_validation_records" {
  description = "DNS records ACM needs to issue the load balancer's certificate (empty without a domain); Terraform writes them itself when route53_zone_id is set."
  value = local.https ? [
    for option in aws_acm_certificate.this[0].domain_validation_options : {
      name  = option.resource_record_name
      type  = option.resource_record_type
      value = option.resource_record_value
    }
  ] : []
}

output "log_bucket_name" {
  description = "Name of the access-log bucket (S3 server access logs go under s3/)."
  value       = module.logs_bucket.name
}

output "no_tls_warning" {
  description = "Empty, or a sentence saying the service is served over plain HTTP (a public load balancer without a domain)."
  value       = local.https || var.behind_cloudfront ? "" : "NO TLS: ${var.name} is served over plain HTTP at http://${aws_lb.this.dns_name} because no domain_name is set."
}

output "rate_limit_per_ip" {
  description = "The load balancer web ACL's per-client-IP rate limit, requests per 5 minutes (null behind CloudFront, whose ACL counts per client)."
  value       = module.web_acl.rate_limit_per_ip
}
