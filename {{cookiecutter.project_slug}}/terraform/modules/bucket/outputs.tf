output "name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "domain_name" {
  description = "Global domain name of the bucket (CloudFront standard logging's target)."
  value       = aws_s3_bucket.this.bucket_domain_name
}

output "regional_domain_name" {
  description = "Regional domain name of the bucket (a CloudFront S3 origin)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}
