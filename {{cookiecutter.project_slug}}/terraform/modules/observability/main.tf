locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
  load_balancer = { LoadBalancer = var.load_balancer_arn_suffix }
  target_group  = merge(local.load_balancer, { TargetGroup = var.target_group_arn_suffix })
  database      = { DBInstanceIdentifier = var.db_instance_identifier }

  # RDS grows storage once free space stays below 10 % of the allocated size, up to its ceiling, so
  # an alarm above that line would page for growth RDS handles itself. Half of it (5 % of the
  # initial size), held for 15 minutes, means RDS cannot: the ceiling is reached, or growth outruns
  # its six-hour pause between increases. Without autoscaling 10 % is the warning line.
  storage_autoscaling      = var.db_max_allocated_storage_gb > var.db_allocated_storage_gb
  free_storage_alarm_ratio = local.storage_autoscaling ? 0.05 : 0.10
  free_storage_alarm_bytes = floor(var.db_allocated_storage_gb * local.free_storage_alarm_ratio * 1073741824)

  # Every alarm fires above its threshold unless `comparison` says otherwise. `missing` is how a
  # period without data counts: notBreaching where no data means no traffic; unset, AWS's default
  # (missing) keeps the alarm in INSUFFICIENT_DATA, neither alarming nor OK.
  alarms = {
    alb-5xx = {
      description = "The service answered more than ${var.max_5xx_per_minute} 5xx responses a minute for 5 minutes."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_Target_5XX_Count"
      dimensions  = local.target_group
      statistic   = "Sum"
      period      = 60
      periods     = 5
      datapoints  = 5
      threshold   = var.max_5xx_per_minute
      missing     = "notBreaching"
    }
    alb-elb-5xx = {
      description = "The load balancer itself answered 5xx (no healthy target, timeouts) for 3 minutes."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.load_balancer
      statistic   = "Sum"
      period      = 60
      periods     = 3
      threshold   = var.max_5xx_per_minute
      missing     = "notBreaching"
    }
    alb-p99-latency = {
      description = "p99 response time above ${var.p99_latency_seconds} s for 5 minutes."
      namespace   = "AWS/ApplicationELB"
      metric      = "TargetResponseTime"
      dimensions  = local.target_group
      percentile  = "p99"
      period      = 60
      periods     = 5
      threshold   = var.p99_latency_seconds
      missing     = "notBreaching"
    }
    alb-unhealthy-targets = {
      description = "A node failed the load balancer's health check for 3 minutes."
      namespace   = "AWS/ApplicationELB"
      metric      = "UnHealthyHostCount"
      dimensions  = local.target_group
      statistic   = "Maximum"
      period      = 60
      periods     = 3
      threshold   = 0
      missing     = "notBreaching"
    }
    rds-cpu = {
      description = "Database CPU above ${var.rds_cpu_percent}% for 15 minutes."
      namespace   = "AWS/RDS"
      metric      = "CPUUtilization"
      dimensions  = local.database
      statistic   = "Average"
      period      = 300
      periods     = 3
      threshold   = var.rds_cpu_percent
    }
    rds-free-storage = {
      description = "Database free storage below ${local.free_storage_alarm_ratio * 100} % of the initial ${var.db_allocated_storage_gb} GiB for 15 minutes: storage autoscaling cannot keep up or has reached its ceiling (${var.db_max_allocated_storage_gb} GiB)."
      namespace   = "AWS/RDS"
      metric      = "FreeStorageSpace"
      dimensions  = local.database
      statistic   = "Minimum"
      period      = 300
      periods     = 3
      threshold   = local.free_storage_alarm_bytes
      comparison  = "LessThanThreshold"
    }
    rds-connections = {
      description = "More than ${var.rds_max_connections} database connections for 10 minutes."
      namespace   = "AWS/RDS"
      metric      = "DatabaseConnections"
      dimensions  = local.database
      statistic   = "Maximum"
      period      = 300
      periods     = 2
      threshold   = var.rds_max_connections
    }
    # Until the CloudWatch agent reports (and whenever it stops) there is no data: the alarm waits in
    # INSUFFICIENT_DATA instead of firing at creation, and that state notifies (see the resource).
    eks-failed-nodes = {
      description = "Container Insights reports a failed node, or (INSUFFICIENT_DATA) the CloudWatch agent stopped reporting."
      namespace   = "ContainerInsights"
      metric      = "cluster_failed_node_count"
      dimensions  = { ClusterName = var.cluster_name }
      statistic   = "Maximum"
      period      = 300
      periods     = 1
      threshold   = 0
      missing     = "missing"
    }
    # Container Insights names pods by their workload (the Deployment), not by the generated suffix.
    app-restarts = {
      description = "The app's containers restarted more than ${var.max_restarts_per_15_minutes} times in 15 minutes."
      namespace   = "ContainerInsights"
      metric      = "pod_number_of_container_restarts"
      dimensions  = { ClusterName = var.cluster_name, Namespace = var.app_namespace, PodName = var.app_name }
      statistic   = "Sum"
      period      = 900
      periods     = 1
      threshold   = var.max_restarts_per_15_minutes
      missing     = "notBreaching"
    }
  }
}

# The CloudWatch observability add-on writes into these groups (container logs, and with them the
# app's embedded metrics; node and kubelet logs; host logs; Container Insights performance events).
# Creating them before the add-on sets retention and the key instead of never-expire and no key.
resource "aws_cloudwatch_log_group" "container_insights" {
  for_each          = toset(["application", "dataplane", "host", "performance"])
  name              = "/aws/containerinsights/${var.cluster_name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

moved {
  from = aws_cloudwatch_log_group.application
  to   = aws_cloudwatch_log_group.container_insights["application"]
}

moved {
  from = aws_cloudwatch_log_group.performance
  to   = aws_cloudwatch_log_group.container_insights["performance"]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = lookup(each.value, "statistic", null)
  extended_statistic  = lookup(each.value, "percentile", null)
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = lookup(each.value, "datapoints", null)
  threshold           = each.value.threshold
  comparison_operator = lookup(each.value, "comparison", "GreaterThanThreshold")
  treat_missing_data  = lookup(each.value, "missing", "missing")
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  # Only the agent's own signal notifies on missing data; elsewhere no data is no traffic or no news.
  insufficient_data_actions = each.key == "eks-failed-nodes" ? local.alarm_actions : []
}
