# CloudFront web ACLs must be created in us-east-1, and their log groups with them; those use
# CloudWatch Logs' own encryption because the environment's key lives in the stack's own region.
module "web_acl" {
  #checkov:skip=CKV_AWS_158:A CloudFront web ACL logs to us-east-1, where the environment's KMS key does not exist; CloudWatch Logs still encrypts at rest.
  source = "../web_acl"
  providers = {
    aws = aws.us_east_1
  }

  name               = "${var.name}-cloudfront"
  description        = "AWS managed baseline rules at the edge of ${var.name}"
  scope              = "CLOUDFRONT"
  log_retention_days = var.log_retention_days

  max_request_body_bytes = var.max_request_body_bytes
  rate_limit_per_ip      = var.rate_limit_per_ip
}
