terraform {
  # The state bucket and its KMS key are created by terraform/bootstrap in this environment's
  # account; S3-native locking (a .tflock object) needs no DynamoDB table. kms_key_id makes the state
  # SSE-KMS with that key (encrypt alone would ask S3 for SSE-S3).
  backend "s3" {
    bucket       = "{{ cookiecutter.project_slug }}-tfstate-{{ cookiecutter.aws_account_id }}"
    key          = "staging/terraform.tfstate"
    region       = "{{ cookiecutter.aws_region }}"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:alias/{{ cookiecutter.project_slug }}-shared"
    use_lockfile = true
  }
}
