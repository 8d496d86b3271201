module "web_acl" {
  source = "../web_acl"

  name               = "${var.name}-alb"
  description        = "AWS managed baseline rules in front of ${var.name}"
  scope              = "REGIONAL"
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days

  max_request_body_bytes = var.max_request_body_bytes
  # Behind CloudFront every request comes from CloudFront's addresses: the edge counts per client.
  rate_limit_per_ip = var.behind_cloudfront ? null : var.rate_limit_per_ip
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_lb.this.arn
  web_acl_arn  = module.web_acl.arn
}
