# CloudFront reaches the internal load balancer through a VPC origin, logs through v2 delivery, and
# writes its DNS records when a zone is given.
mock_provider "aws" {
  source = "../../mocks/aws"

  # The expectations below name us-east-1, whichever region the project answered.
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_resource "aws_cloudfront_vpc_origin" {
    override_during = plan
    defaults = {
      id = "vo_0123456789abcdef"
    }
  }

  mock_resource "aws_cloudfront_distribution" {
    override_during = plan
    defaults = {
      arn            = "arn:aws:cloudfront::123456789012:distribution/E0123456789ABC"
      domain_name    = "d111111abcdef8.cloudfront.net"
      hosted_zone_id = "Z2FDTNDATAQYW2"
    }
  }
}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../mocks/aws"

  mock_resource "aws_acm_certificate" {
    override_during = plan
    defaults = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/viewer"
      domain_validation_options = [{
        domain_name           = "api.example.org"
        resource_record_name  = "_abc.api.example.org."
        resource_record_type  = "CNAME"
        resource_record_value = "_xyz.acm-validations.aws."
      }]
    }
  }
}

variables {
  name                   = "example-staging"
  load_balancer_dns_name = "internal-example-staging-123456789.us-east-1.elb.amazonaws.com"
  load_balancer_arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/example-staging/0123456789abcdef"
  origin_protocol        = "http"
  kms_key_arn            = "arn:aws:kms:us-east-1:123456789012:key/test"
  log_bucket_name        = "example-staging-logs-123456789012"
  log_bucket_arn         = "arn:aws:s3:::example-staging-logs-123456789012"
  log_retention_days     = 30
  max_request_body_bytes = 1048576
  rate_limit_per_ip      = 2000
}

run "the_origin_is_the_internal_load_balancer_through_a_vpc_origin" {
  command = plan

  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].arn == var.load_balancer_arn
    error_message = "The VPC origin points at the load balancer."
  }

  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].origin_protocol_policy == "http-only"
    error_message = "Without a domain (no certificate on the load balancer) CloudFront speaks HTTP inside AWS's network."
  }

  assert {
    condition = one([
      for origin in aws_cloudfront_distribution.this.origin : origin.vpc_origin_config[0].vpc_origin_id
      if origin.origin_id == "app"
    ]) == "vo_0123456789abcdef"
    error_message = "The app's origin goes through the VPC origin, not over the internet."
  }

  assert {
    condition     = length(one([for origin in aws_cloudfront_distribution.this.origin : origin.custom_origin_config if origin.origin_id == "app"])) == 0
    error_message = "No public custom origin for the app."
  }

  assert {
    condition     = length(aws_route53_record.alias) == 0 && length(aws_route53_record.validation) == 0
    error_message = "Without a domain there are no DNS records."
  }

  assert {
    condition     = contains(module.web_acl.rule_names, "rate-per-ip") && contains(module.web_acl.rule_names, "body-too-large")
    error_message = "The edge's web ACL limits each client IP and the body size."
  }
}

run "access_logs_go_through_standard_logging_v2" {
  command = plan

  assert {
    condition     = length(aws_cloudfront_distribution.this.logging_config) == 0
    error_message = "No legacy logging (it cannot deliver to opt-in regions)."
  }

  assert {
    condition     = aws_cloudwatch_log_delivery_source.access_logs.log_type == "ACCESS_LOGS" && aws_cloudwatch_log_delivery_source.access_logs.resource_arn == "arn:aws:cloudfront::123456789012:distribution/E0123456789ABC"
    error_message = "The distribution's access logs are a CloudWatch Logs delivery source."
  }

  assert {
    condition     = aws_cloudwatch_log_delivery_destination.access_logs.delivery_destination_configuration[0].destination_resource_arn == "arn:aws:s3:::example-staging-logs-123456789012/cloudfront"
    error_message = "They are delivered into the log bucket under cloudfront/."
  }
}

run "with_a_zone_the_records_are_written" {
  command = plan

  variables {
    domain_name     = "api.example.org"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    origin_protocol = "https"
  }

  assert {
    condition     = toset(keys(aws_route53_record.alias)) == toset(["A", "AAAA"])
    error_message = "The domain gets IPv4 and IPv6 alias records."
  }

  assert {
    condition     = aws_route53_record.alias["A"].alias[0].name == "d111111abcdef8.cloudfront.net" && aws_route53_record.alias["A"].alias[0].zone_id == "Z2FDTNDATAQYW2"
    error_message = "The alias points at the distribution."
  }

  assert {
    condition     = aws_route53_record.validation["api.example.org"].allow_overwrite == true
    error_message = "The validation record may already exist (the load balancer's certificate asks for the same one)."
  }

  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].origin_protocol_policy == "https-only"
    error_message = "With a domain CloudFront speaks HTTPS to the load balancer."
  }
}

run "without_a_zone_no_records" {
  command = plan

  variables {
    domain_name     = "api.example.org"
    origin_protocol = "https"
  }

  assert {
    condition     = length(aws_route53_record.alias) == 0 && length(aws_route53_record.validation) == 0
    error_message = "Without a zone a person creates the records from certificate_validation_records."
  }

  assert {
    condition     = length(output.certificate_validation_records) == 1
    error_message = "The record to create is in the output."
  }
}
