locals {
  # Content-Length values above max_request_body_bytes, as a regular expression over decimal digits:
  # any number with more digits, or the same number of digits and, at the first digit that differs,
  # a larger one (for 1048576: 1048577-1048579, 104858x-104859x, ..., 2000000-9999999).
  limit_digits  = tostring(var.max_request_body_bytes)
  limit_length  = length(local.limit_digits)
  longer_number = "[1-9][0-9]{${local.limit_length},}"
  same_length_larger = [
    for position in range(local.limit_length) :
    join("", [
      substr(local.limit_digits, 0, position),
      "[${tonumber(substr(local.limit_digits, position, 1)) + 1}-9]",
      position == local.limit_length - 1 ? "" : "[0-9]{${local.limit_length - position - 1}}",
    ])
    if substr(local.limit_digits, position, 1) != "9"
  ]
  content_length_over_limit = "^0*(${join("|", concat([local.longer_number], local.same_length_larger))})$"
}

# AWS's baseline rule groups: common web exploits, then known-bad inputs (Log4j and the like). They
# are written out rather than generated with a dynamic block so checkov can see them (CKV_AWS_192).
resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = var.description
  scope       = var.scope

  default_action {
    allow {}
  }

  rule {
    name     = "common"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # This group blocks bodies over 8 KiB; the service accepts up to max_request_body_bytes, which
        # the body-too-large rule below enforces instead.
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # WAF cannot compare numbers, so "Content-Length above the limit" is a regular expression over the
  # header's digits (locals below). Requests without the header (chunked) still meet the app's limit.
  rule {
    name     = "body-too-large"
    priority = 3
    action {
      block {
        custom_response {
          response_code = 413
        }
      }
    }
    statement {
      regex_match_statement {
        regex_string = local.content_length_over_limit
        field_to_match {
          single_header {
            name = "content-length"
          }
        }
        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-body-too-large"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = var.rate_limit_per_ip == null ? [] : [var.rate_limit_per_ip]
    content {
      name     = "rate-per-ip"
      priority = 4
      action {
        block {
          custom_response {
            response_code = 429
          }
        }
      }
      statement {
        rate_based_statement {
          limit                 = rule.value
          evaluation_window_sec = 300
          aggregate_key_type    = "IP"
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-rate-per-ip"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

# WAF requires the aws-waf-logs- prefix on its log groups.
resource "aws_cloudwatch_log_group" "this" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]
}
