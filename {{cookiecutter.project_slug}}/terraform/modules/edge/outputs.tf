output "distribution_id" {
  description = "Id of the CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net name (point the domain's DNS here)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "static_bucket_name" {
  description = "Bucket for static assets; objects under static/ are served at /static/."
  value       = module.static_bucket.name
}

output "static_bucket_arn" {
  description = "ARN of the static-assets bucket."
  value       = module.static_bucket.arn
}

output "certificate_validation_records" {
  description = "DNS records ACM needs to issue the viewer certificate (empty without a domain); Terraform writes them itself when route53_zone_id is set."
  value = local.custom_domain ? [
    for option in aws_acm_certificate.viewer[0].domain_validation_options : {
      name  = option.resource_record_name
      type  = option.resource_record_type
      value = option.resource_record_value
    }
  ] : []
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.this.arn
}

output "rate_limit_per_ip" {
  description = "The edge web ACL's per-client-IP rate limit, requests per 5 minutes."
  value       = module.web_acl.rate_limit_per_ip
}
