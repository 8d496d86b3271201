# CloudFront standard logging v2: CloudWatch Logs delivers the access logs (W3C, as the legacy
# logs were) into the load balancer's log bucket under cloudfront/. Unlike legacy logging it needs
# no bucket ACLs and reaches buckets in opt-in regions. CloudFront's delivery objects live in us-east-1.
resource "aws_cloudwatch_log_delivery_source" "access_logs" {
  provider     = aws.us_east_1
  name         = "${var.name}-cloudfront"
  log_type     = "ACCESS_LOGS"
  resource_arn = aws_cloudfront_distribution.this.arn
}

resource "aws_cloudwatch_log_delivery_destination" "access_logs" {
  provider      = aws.us_east_1
  name          = "${var.name}-cloudfront-s3"
  output_format = "w3c"

  delivery_destination_configuration {
    destination_resource_arn = "${var.log_bucket_arn}/cloudfront"
  }
}

resource "aws_cloudwatch_log_delivery" "access_logs" {
  provider                 = aws.us_east_1
  delivery_source_name     = aws_cloudwatch_log_delivery_source.access_logs.name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.access_logs.arn
}
