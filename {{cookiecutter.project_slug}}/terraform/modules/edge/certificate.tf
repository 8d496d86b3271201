# The viewer certificate (us-east-1, as CloudFront requires) and, with a Route 53 zone, the DNS
# records: ACM's validation records and the domain's alias to the distribution.
locals {
  manage_dns = var.route53_zone_id != ""
  # ACM's validation record per domain of the certificate.
  validation = local.manage_dns ? { for option in aws_acm_certificate.viewer[0].domain_validation_options : option.domain_name => option } : {}
}

resource "aws_acm_certificate" "viewer" {
  count             = local.custom_domain ? 1 : 0
  provider          = aws.us_east_1
  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# The load balancer's regional certificate for the same domain asks for the same record, which its
# module writes too: allow_overwrite makes the second write an update. Keyed by the configured
# domain, so the keys are known before the certificate exists.
resource "aws_route53_record" "validation" {
  for_each = local.manage_dns ? toset([var.domain_name]) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

# Waits until ACM has issued the certificate: for the records above, or (without a zone) for the
# ones a person creates from the output `certificate_validation_records` (docs/runbook.md).
resource "aws_acm_certificate_validation" "viewer" {
  count                   = local.custom_domain ? 1 : 0
  provider                = aws.us_east_1
  certificate_arn         = aws_acm_certificate.viewer[0].arn
  validation_record_fqdns = local.manage_dns ? [for record in aws_route53_record.validation : record.fqdn] : null
}

resource "aws_route53_record" "alias" {
  for_each = local.manage_dns ? toset(["A", "AAAA"]) : toset([])
  zone_id  = var.route53_zone_id
  name     = var.domain_name
  type     = each.key

  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}
