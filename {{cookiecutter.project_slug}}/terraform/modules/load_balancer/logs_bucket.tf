data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  # Regions opened before August 2022 deliver load balancer logs from a regional ELB account; the
  # newer ones from a service principal (and have no ELB account to look up).
  elb_account_regions = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "af-south-1",
    "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-north-1", "me-south-1",
    "ap-east-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "us-gov-west-1", "us-gov-east-1",
  ]
  elb_account_region = contains(local.elb_account_regions, data.aws_region.current.region)
}

data "aws_elb_service_account" "current" {
  count = local.elb_account_region ? 1 : 0
}

# Access logs of the load balancer, CloudFront and the static bucket. The load balancer delivers
# only to SSE-S3 buckets, so this one cannot use the environment's KMS key. CloudFront writes here
# through CloudWatch Logs delivery (standard logging v2), which reaches buckets in opt-in regions
# too and needs no ACLs.
module "logs_bucket" {
  #checkov:skip=CKV_AWS_145:ALB access-log delivery supports only SSE-S3 (AES256) buckets.
  #checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are operational data kept 90 days; a second-region copy is not worth its cost.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the log bucket.
  source = "../bucket"

  name             = "${var.name}-logs-${data.aws_caller_identity.current.account_id}"
  policy_documents = [data.aws_iam_policy_document.log_delivery.json]
  expiry = {
    rule_id         = "expire-access-logs"
    current_days    = var.access_log_retention_days
    noncurrent_days = 7
  }
}

data "aws_iam_policy_document" "log_delivery" {
  statement {
    sid       = "LoadBalancerDelivers"
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
    principals {
      type        = local.elb_account_region ? "AWS" : "Service"
      identifiers = local.elb_account_region ? [data.aws_elb_service_account.current[0].arn] : ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid       = "S3ServerAccessLogsDeliver"
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  # CloudFront's standard logging v2: the delivery source lives in us-east-1 and belongs to this account.
  dynamic "statement" {
    for_each = var.behind_cloudfront ? ["CloudFrontDelivers"] : []
    content {
      sid       = statement.value
      actions   = ["s3:PutObject"]
      resources = ["${module.logs_bucket.arn}/cloudfront/*"]
      principals {
        type        = "Service"
        identifiers = ["delivery.logs.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = ["arn:${data.aws_partition.current.partition}:logs:us-east-1:${data.aws_caller_identity.current.account_id}:delivery-source:*"]
      }
      condition {
        test     = "StringEquals"
        variable = "s3:x-amz-acl"
        values   = ["bucket-owner-full-control"]
      }
    }
  }
}
