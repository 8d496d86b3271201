module "state_bucket" {
  #checkov:skip=CKV_AWS_18:Access to the state is recorded by CloudTrail; a log bucket for one small bucket is not worth its upkeep.
  #checkov:skip=CKV_AWS_144:Versioned state in one region is enough to recover; cross-region replication doubles the moving parts of bootstrap.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket.
  source = "../modules/bucket"

  name            = local.state_bucket
  kms_key_arn     = module.kms.key_arn
  prevent_destroy = true
  expiry = {
    rule_id                  = "expire-old-state-versions"
    noncurrent_days          = 90
    noncurrent_versions_kept = 20
  }
}
