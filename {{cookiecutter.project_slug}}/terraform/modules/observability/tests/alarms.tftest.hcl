# Who the alarms reach, how missing data counts, and where each alarm's runbook section is.
mock_provider "aws" {
  source = "../../mocks/aws"

  # The expectations below name us-east-1, whichever region the project answered.
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }

  mock_resource "aws_sns_topic" {
    override_during = plan
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:example-staging-alarms"
    }
  }
}

variables {
  name                        = "example-staging"
  cluster_name                = "example-staging"
  app_namespace               = "example"
  app_name                    = "example"
  metrics_namespace           = "example"
  load_balancer_arn_suffix    = "app/example-staging/0123456789abcdef"
  target_group_arn_suffix     = "targetgroup/tf-0123/0123456789abcdef"
  db_instance_identifier      = "example-staging"
  kms_key_arn                 = "arn:aws:kms:us-east-1:123456789012:key/test"
  log_retention_days          = 30
  runbook_url                 = "https://github.com/example-org/example/blob/main/docs/runbook.md"
  rds_max_connections         = 60
  db_allocated_storage_gb     = 20
  db_max_allocated_storage_gb = 50
}

run "an_alarm_email_is_subscribed" {
  command = plan

  variables {
    alarm_emails = ["oncall@example.com"]
  }

  assert {
    condition     = keys(aws_sns_topic_subscription.email) == ["oncall@example.com"] && aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "The answered address is subscribed to the alarm topic by e-mail."
  }
}

run "without_an_email_the_topic_is_still_there" {
  command = plan

  variables {
    alarm_emails = []
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "No address, no subscription."
  }

  assert {
    condition     = aws_sns_topic.alarms.name == "example-staging-alarms"
    error_message = "The topic (output alarm_topic_arn) exists either way, for on-call tooling."
  }

  assert {
    condition = alltrue([
      for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_actions == alarm.ok_actions && length(alarm.alarm_actions) == 1
    ])
    error_message = "Every alarm notifies the topic when it fires and when it recovers."
  }
}

run "missing_data_never_alarms_at_creation" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["eks-failed-nodes"].treat_missing_data == "missing"
    error_message = "eks-failed-nodes waits in INSUFFICIENT_DATA until the agent reports; it is not breaching."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this["eks-failed-nodes"].insufficient_data_actions) == 1
    error_message = "When the agent stops reporting (INSUFFICIENT_DATA), eks-failed-nodes notifies."
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : alarm.treat_missing_data != "breaching"])
    error_message = "No alarm counts missing data as breaching, so none is in alarm at creation."
  }

  assert {
    condition = alltrue([
      for key in ["alb-5xx", "alb-elb-5xx", "alb-p99-latency", "alb-unhealthy-targets", "app-restarts"] :
      aws_cloudwatch_metric_alarm.this[key].treat_missing_data == "notBreaching"
    ])
    error_message = "No traffic is not an alarm."
  }
}

run "every_alarm_links_its_runbook_section" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 9
    error_message = "Nine alarms, each with a section in docs/runbook.md."
  }

  assert {
    condition = alltrue([
      for key, alarm in aws_cloudwatch_metric_alarm.this :
      endswith(alarm.alarm_description, "Runbook: https://github.com/example-org/example/blob/main/docs/runbook.md#${key}")
    ])
    error_message = "Each description ends with the link to its runbook section (#<alarm key>)."
  }
}

run "free_storage_alarm_sits_below_storage_autoscaling" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["rds-free-storage"].threshold == 1073741824
    error_message = "With autoscaling (20 GiB up to 50): 5 % of 20 GiB = 1 GiB, below the 10 % where RDS grows the disk."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["rds-free-storage"].comparison_operator == "LessThanThreshold"
    error_message = "The alarm fires when free storage drops below the line."
  }
}

run "without_autoscaling_the_line_is_ten_percent" {
  command = plan

  variables {
    db_max_allocated_storage_gb = 20
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["rds-free-storage"].threshold == 2147483648
    error_message = "Without autoscaling: 10 % of 20 GiB = 2 GiB."
  }
}

run "the_add_ons_log_groups_exist_with_retention_and_key" {
  command = plan

  assert {
    condition = toset([for group in aws_cloudwatch_log_group.container_insights : group.name]) == toset([
      "/aws/containerinsights/example-staging/application",
      "/aws/containerinsights/example-staging/dataplane",
      "/aws/containerinsights/example-staging/host",
      "/aws/containerinsights/example-staging/performance",
    ])
    error_message = "All four Container Insights log groups are created by Terraform."
  }

  assert {
    condition = alltrue([
      for group in aws_cloudwatch_log_group.container_insights :
      group.retention_in_days == 30 && group.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/test"
    ])
    error_message = "Each has the environment's retention and KMS key."
  }
}

run "rejects_a_runbook_url_with_a_fragment" {
  command = plan

  variables {
    runbook_url = "https://github.com/example-org/example/blob/main/docs/runbook.md#top"
  }

  expect_failures = [var.runbook_url]
}
