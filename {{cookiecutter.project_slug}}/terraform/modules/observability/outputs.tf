output "app_log_group_name" {
  description = "Log group that receives the app's container logs (and so its embedded metrics)."
  value       = aws_cloudwatch_log_group.application.name
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
