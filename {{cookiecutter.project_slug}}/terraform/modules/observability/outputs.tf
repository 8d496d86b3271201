output "app_log_group_name" {
  description = "Log group that receives the app's container logs (and so its embedded metrics)."
  value       = aws_cloudwatch_log_group.container_insights["application"].name
}

output "container_insights_log_group_arns" {
  description = "The CloudWatch observability add-on's log groups; the add-on must depend on them, so they exist (with retention and key) before it writes."
  value       = [for group in aws_cloudwatch_log_group.container_insights : group.arn]
}

output "alarm_names" {
  description = "Every alarm's name, by its key (the section of docs/runbook.md that explains it)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (subscribed to alarm_emails when given)."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
