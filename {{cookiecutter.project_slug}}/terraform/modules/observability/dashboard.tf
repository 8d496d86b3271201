data "aws_region" "current" {}

locals {
  region = data.aws_region.current.region

  widgets = [
    {
      title = "Requests and errors"
      metrics = [
        ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.target_group.LoadBalancer, "TargetGroup", local.target_group.TargetGroup, { stat = "Sum" }],
        [".", "HTTPCode_Target_5XX_Count", ".", ".", ".", ".", { stat = "Sum" }],
        [".", "HTTPCode_Target_4XX_Count", ".", ".", ".", ".", { stat = "Sum" }],
      ]
    },
    {
      title = "Latency (p50, p99)"
      metrics = [
        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", local.target_group.LoadBalancer, "TargetGroup", local.target_group.TargetGroup, { stat = "p50" }],
        ["...", { stat = "p99" }],
      ]
    },
    {
      title   = "App metrics (embedded metric format)"
      metrics = [[{ id = "app", expression = "SEARCH('{${var.metrics_namespace},Environment,Service}', 'Sum', 60)" }]]
    },
    {
      title = "Database CPU and connections"
      metrics = [
        ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.db_instance_identifier],
        [".", "DatabaseConnections", ".", ".", { yAxis = "right" }],
      ]
    },
    {
      title = "Nodes and pods"
      metrics = [
        ["ContainerInsights", "node_cpu_utilization", "ClusterName", var.cluster_name],
        [".", "node_memory_utilization", ".", "."],
        [".", "cluster_failed_node_count", ".", ".", { yAxis = "right" }],
      ]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in local.widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = 60
          metrics = widget.metrics
        }
      }
    ]
  })
}
