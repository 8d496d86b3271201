data "aws_caller_identity" "current" {}

module "static_bucket" {
  #checkov:skip=CKV_AWS_144:Static assets are rebuilt from the repository on every deploy; a second-region copy adds cost and no recovery value.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the static-assets bucket.
  source = "../bucket"

  name             = "${var.name}-static-${data.aws_caller_identity.current.account_id}"
  kms_key_arn      = var.kms_key_arn
  policy_documents = [data.aws_iam_policy_document.cloudfront_reads.json]
  access_logs = {
    bucket = var.log_bucket_name
    prefix = "s3/static/"
  }
  # Old versions stay long enough for pages cached by clients to load their assets.
  expiry = {
    rule_id         = "expire-replaced-assets"
    noncurrent_days = 30
  }
}

data "aws_iam_policy_document" "cloudfront_reads" {
  statement {
    sid       = "CloudFrontReads"
    actions   = ["s3:GetObject"]
    resources = ["${module.static_bucket.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}
