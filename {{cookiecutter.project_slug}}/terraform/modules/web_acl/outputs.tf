output "arn" {
  description = "ARN of the web ACL (what a load balancer association or a distribution's web_acl_id takes)."
  value       = aws_wafv2_web_acl.this.arn
}
