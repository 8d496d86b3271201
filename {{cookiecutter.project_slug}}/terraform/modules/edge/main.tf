locals {
  https_origin  = var.origin_protocol == "https"
  custom_domain = var.domain_name != ""
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

# With a domain the Host header reaches the load balancer, so its certificate for that domain
# matches; without one the load balancer is addressed by its own name.
data "aws_cloudfront_origin_request_policy" "app" {
  name = local.custom_domain ? "Managed-AllViewer" : "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_origin_access_control" "static" {
  name                              = "${var.name}-static"
  description                       = "CloudFront reads ${var.name}'s static assets bucket with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  #checkov:skip=CKV_AWS_259:HSTS is sent for a year with includeSubDomains; preload is a one-way commitment for the whole registrable domain that its owner must opt into.
  name    = "${var.name}-security-headers"
  comment = "Security headers on every response of ${var.name}"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = false
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
  }
}

# CloudFront reaches the internal load balancer through an elastic network interface it places in
# the VPC: the load balancer has no public address, so the edge (its WAF, its headers) is the only way in.
resource "aws_cloudfront_vpc_origin" "this" {
  vpc_origin_endpoint_config {
    name                   = var.name
    arn                    = var.load_balancer_arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = local.https_origin ? "https-only" : "http-only"

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV2_AWS_47:The Log4j rules (AWSManagedRulesKnownBadInputsRuleSet) are attached; the check also demands AWSManagedRulesAnonymousIpList, which would block CI runners and API clients on hosting providers.
  #checkov:skip=CKV_AWS_374:The service is global; geo restriction is a business decision left to the owner.
  #checkov:skip=CKV_AWS_310:There is one origin per path (the load balancer, the bucket); a failover origin would need a second region.
  #checkov:skip=CKV_AWS_305:An API has no root document; / goes to the application.
  #checkov:skip=CKV_AWS_174:Without a domain CloudFront serves its default *.cloudfront.net certificate, which cannot set a minimum TLS version; with a domain TLSv1.2_2021 is set.
  #checkov:skip=CKV2_AWS_42:A custom certificate is used as soon as a domain is configured; without one only the default certificate exists.
  #checkov:skip=CKV_AWS_86:Access logs are on through standard logging v2 (aws_cloudwatch_log_delivery in logs.tf), which reaches buckets in every region; logging_config (legacy) cannot deliver to opt-in regions.
  enabled         = true
  is_ipv6_enabled = true
  comment         = var.name
  price_class     = var.price_class
  aliases         = local.custom_domain ? [var.domain_name] : []
  web_acl_id      = module.web_acl.arn
  http_version    = "http2and3"

  origin {
    origin_id   = "app"
    domain_name = var.load_balancer_dns_name
    vpc_origin_config {
      vpc_origin_id = aws_cloudfront_vpc_origin.this.id
    }
  }

  origin {
    origin_id                = "static"
    domain_name              = module.static_bucket.regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.static.id
  }

  default_cache_behavior {
    target_origin_id           = "app"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.app.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    compress                   = true
  }

  ordered_cache_behavior {
    path_pattern               = "/static/*"
    target_origin_id           = "static"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    compress                   = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = !local.custom_domain
    acm_certificate_arn            = local.custom_domain ? aws_acm_certificate_validation.viewer[0].certificate_arn : null
    ssl_support_method             = local.custom_domain ? "sni-only" : null
    minimum_protocol_version       = local.custom_domain ? "TLSv1.2_2021" : "TLSv1"
  }
}
