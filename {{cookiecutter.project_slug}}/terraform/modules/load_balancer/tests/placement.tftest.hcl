# Where the load balancer sits and what it writes to DNS, for each way it can be answered.
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

  mock_data "aws_ec2_managed_prefix_list" {
    defaults = {
      id = "pl-3b927c52"
    }
  }

  # ACM's DNS validation record is known once the certificate is requested.
  mock_resource "aws_acm_certificate" {
    override_during = plan
    defaults = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/alb"
      domain_validation_options = [{
        domain_name           = "api.example.org"
        resource_record_name  = "_abc.api.example.org."
        resource_record_type  = "CNAME"
        resource_record_value = "_xyz.acm-validations.aws."
      }]
    }
  }

  mock_resource "aws_lb" {
    override_during = plan
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/example-staging/0123456789abcdef"
      dns_name = "example-staging-123456789.us-east-1.elb.amazonaws.com"
      zone_id  = "Z35SXDOTRQ7X7K"
    }
  }
}

variables {
  name                        = "example-staging"
  vpc_id                      = "vpc-0123456789abcdef0"
  subnet_ids                  = ["subnet-a", "subnet-b"]
  node_security_group_id      = "sg-nodes"
  node_autoscaling_group_name = "eks-nodes"
  deletion_protection         = false
  kms_key_arn                 = "arn:aws:kms:us-east-1:123456789012:key/test"
  log_retention_days          = 30
  max_request_body_bytes      = 1048576
  rate_limit_per_ip           = 2000
}

run "behind_cloudfront_it_is_internal_and_only_cloudfront_may_connect" {
  command = plan

  variables {
    behind_cloudfront = true
    domain_name       = "api.example.org"
    route53_zone_id   = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_lb.this.internal == true
    error_message = "Behind CloudFront's VPC origin the load balancer is internal."
  }

  assert {
    condition     = [for rule in aws_vpc_security_group_ingress_rule.web : rule.prefix_list_id] == ["pl-3b927c52"]
    error_message = "Only port 443, from CloudFront's origin-facing prefix list."
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_ingress_rule.web : rule.cidr_ipv4 == null])
    error_message = "No ingress rule admits an address range."
  }

  assert {
    condition     = length(aws_route53_record.alias) == 0
    error_message = "The domain's alias points at CloudFront (edge module), not at an internal load balancer."
  }

  assert {
    condition     = length(aws_route53_record.validation) == 1
    error_message = "With a zone, Terraform writes the certificate's validation record."
  }

  assert {
    condition     = !contains(module.web_acl.rule_names, "rate-per-ip")
    error_message = "Behind CloudFront the load balancer sees CloudFront's addresses: no per-IP rate rule here."
  }

  assert {
    condition     = aws_lb_target_group.this.tags["Name"] == "example-staging"
    error_message = "The target group carries its contract name as a tag (AWS names it, for create-before-destroy)."
  }
}

run "public_with_a_zone_it_points_the_domain_at_itself" {
  command = plan

  variables {
    behind_cloudfront = false
    domain_name       = "api.example.org"
    route53_zone_id   = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_lb.this.internal == false
    error_message = "Without CloudFront the load balancer is internet-facing."
  }

  assert {
    condition     = length(aws_route53_record.alias) == 1 && aws_route53_record.alias[0].name == "api.example.org"
    error_message = "With a zone and no CloudFront, the domain's alias points at the load balancer."
  }

  assert {
    condition     = aws_route53_record.validation["api.example.org"].records == toset(["_xyz.acm-validations.aws."])
    error_message = "The validation record carries ACM's value."
  }

  assert {
    condition     = length(aws_acm_certificate_validation.this[0].validation_record_fqdns) == 1
    error_message = "The certificate waits for the record Terraform writes, so the first apply completes."
  }

  assert {
    condition     = contains(module.web_acl.rule_names, "rate-per-ip")
    error_message = "As the public entry point, its web ACL limits each client IP."
  }

  assert {
    condition     = output.no_tls_warning == ""
    error_message = "With a domain there is TLS: no warning."
  }
}

run "without_a_zone_no_records_are_written" {
  command = plan

  variables {
    behind_cloudfront = false
    domain_name       = "api.example.org"
  }

  assert {
    condition     = length(aws_route53_record.validation) == 0 && length(aws_route53_record.alias) == 0
    error_message = "Without a zone the records come from certificate_validation_records, created by hand."
  }

  assert {
    condition     = output.certificate_validation_records == tolist([{ name = "_abc.api.example.org.", type = "CNAME", value = "_xyz.acm-validations.aws." }])
    error_message = "The records a person creates are in the output."
  }
}

run "certificates_alone_give_the_validation_records" {
  # The first step of the two-step first apply (docs/runbook.md): only the certificate.
  command = plan

  variables {
    behind_cloudfront = false
    domain_name       = "api.example.org"
  }

  plan_options {
    target = [aws_acm_certificate.this]
  }

  assert {
    condition     = length(output.certificate_validation_records) == 1
    error_message = "A targeted apply of the certificate yields its validation records."
  }
}

run "public_without_a_domain_says_no_tls" {
  command = plan

  variables {
    behind_cloudfront = false
    domain_name       = ""
  }

  assert {
    condition     = output.no_tls_warning == "NO TLS: example-staging is served over plain HTTP at http://example-staging-123456789.us-east-1.elb.amazonaws.com because no domain_name is set."
    error_message = "A public load balancer without a domain says so in an output."
  }
}

run "a_zone_needs_a_domain" {
  command = plan

  variables {
    behind_cloudfront = false
    domain_name       = ""
    route53_zone_id   = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.route53_zone_id]
}
