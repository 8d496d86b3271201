# The web ACL's own rules, planned against a mocked provider: the body-size rule matches exactly the
# Content-Length values above the limit, the rate rule exists only when a limit is given.
mock_provider "aws" {
  source = "../../mocks/aws"
}

variables {
  name                   = "example-staging-alb"
  description            = "tested"
  scope                  = "REGIONAL"
  log_retention_days     = 30
  max_request_body_bytes = 1048576
  rate_limit_per_ip      = 2000
}

run "rate_and_body_rules" {
  command = plan

  assert {
    condition     = output.rule_names == tolist(["body-too-large", "common", "known-bad-inputs", "rate-per-ip"])
    error_message = "The ACL runs the two managed groups, the body-size rule and the rate rule."
  }

  assert {
    condition     = output.rate_limit_per_ip == 2000
    error_message = "The ACL reports the limit its rate rule enforces."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0]
      if rule.name == "rate-per-ip"
    ]).limit == 2000
    error_message = "The rate rule blocks above rate_limit_per_ip requests."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0]
      if rule.name == "rate-per-ip"
    ]).aggregate_key_type == "IP"
    error_message = "The rate rule counts per client IP."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.action[0].block[0].custom_response[0].response_code
      if rule.name == "rate-per-ip"
    ]) == 429
    error_message = "A client over the rate gets 429."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].regex_match_statement[0].regex_string
      if rule.name == "body-too-large"
    ]) == "^0*([1-9][0-9]{7,}|[2-9][0-9]{6}|1[1-9][0-9]{5}|10[5-9][0-9]{4}|104[9-9][0-9]{3}|1048[6-9][0-9]{2}|10485[8-9][0-9]{1}|104857[7-9])$"
    error_message = "The body-size rule's pattern for 1048576 bytes."
  }

  assert {
    condition = alltrue([
      for length in ["1048577", "1048580", "1049000", "1100000", "2000000", "9999999", "10000000", "001048577"] :
      can(regex(local.content_length_over_limit, length))
    ])
    error_message = "Every Content-Length above 1048576 matches the body-size rule."
  }

  assert {
    condition = !anytrue([
      for length in ["0", "1", "999999", "1048575", "1048576", "0001048576"] :
      can(regex(local.content_length_over_limit, length))
    ])
    error_message = "No Content-Length up to 1048576 (the app's MAX_CONTENT_LENGTH) matches the body-size rule."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].managed_rule_group_statement[0].rule_action_override[0].name
      if rule.name == "common"
    ]) == "SizeRestrictions_BODY"
    error_message = "The common rule set's 8 KiB body limit only counts."
  }
}

run "no_rate_rule_without_a_limit" {
  command = plan

  variables {
    rate_limit_per_ip = null
  }

  assert {
    condition     = !contains(output.rule_names, "rate-per-ip")
    error_message = "Without rate_limit_per_ip (an ACL behind CloudFront) there is no rate rule."
  }

  assert {
    condition     = output.rate_limit_per_ip == null
    error_message = "Without a rate rule the ACL reports no rate limit."
  }
}

run "rejects_a_rate_limit_waf_refuses" {
  command = plan

  variables {
    rate_limit_per_ip = 5
  }

  expect_failures = [var.rate_limit_per_ip]
}

run "rejects_a_body_limit_outside_the_apps_range" {
  command = plan

  variables {
    max_request_body_bytes = 100
  }

  expect_failures = [var.max_request_body_bytes]
}
