terraform {
  # The state bucket is created by terraform/bootstrap; S3-native locking (a .tflock object) needs
  # no DynamoDB table.
  backend "s3" {
    bucket       = "{{ cookiecutter.project_slug }}-tfstate-{{ cookiecutter.aws_account_id }}"
    key          = "staging/terraform.tfstate"
    region       = "{{ cookiecutter.aws_region }}"
    encrypt      = true
    use_lockfile = true
  }
}
