# The load balancer's certificate (with a domain) and, with a Route 53 zone, the DNS records: ACM's
# validation records, and the domain's alias when the load balancer is the public entry point.
locals {
  manage_dns = var.route53_zone_id != ""
  # ACM's validation record per domain of the certificate.
  validation = local.manage_dns ? { for option in aws_acm_certificate.this[0].domain_validation_options : option.domain_name => option } : {}
}

resource "aws_acm_certificate" "this" {
  count             = local.https ? 1 : 0
  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# ACM asks for the same record for a domain in every certificate of the account (the edge's
# us-east-1 certificate too), so both modules may write it: allow_overwrite makes that an update.
# Keyed by the configured domain, so the keys are known before the certificate exists.
resource "aws_route53_record" "validation" {
  for_each = local.manage_dns ? toset([var.domain_name]) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

# Waits until ACM has issued the certificate. Without a zone the records come from the output
# `certificate_validation_records` and a person creates them (the two-step first apply in
# docs/runbook.md); with a zone the records above are what it waits for.
resource "aws_acm_certificate_validation" "this" {
  count                   = local.https ? 1 : 0
  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = local.manage_dns ? [for record in aws_route53_record.validation : record.fqdn] : null
}

resource "aws_route53_record" "alias" {
  count   = local.manage_dns && !var.behind_cloudfront ? 1 : 0
  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}
