output "arn" {
  description = "ARN of the web ACL (what a load balancer association or a distribution's web_acl_id takes)."
  value       = aws_wafv2_web_acl.this.arn
}

output "rule_names" {
  description = "Names of the web ACL's rules, sorted."
  value       = sort([for rule in aws_wafv2_web_acl.this.rule : rule.name])
}

output "rate_limit_per_ip" {
  description = "The limit of the ACL's per-client-IP rate rule, requests per 5 minutes (null without one)."
  value       = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].limit if rule.name == "rate-per-ip"])
}
