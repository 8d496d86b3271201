output "arn" {
  description = "ARN of the web ACL (what a load balancer association or a distribution's web_acl_id takes)."
  value       = aws_wafv2_web_acl.this.arn
}

output "rule_names" {
  description = "Names of the web ACL's rules, sorted."
  value       = sort([for rule in aws_wafv2_web_acl.this.rule : rule.name])
}
