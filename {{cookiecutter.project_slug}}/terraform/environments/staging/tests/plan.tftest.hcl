# Plan-level tests with a mocked AWS provider: `terraform test` (no credentials, no AWS calls).
mock_provider "aws" {
  source = "../../mocks/aws"

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "{{ cookiecutter.aws_account_id }}"
    }
  }
}
{%- if cookiecutter.use_cloudfront == 'y' %}

mock_provider "aws" {
  alias  = "us_east_1"
  source = "../../mocks/aws"

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "{{ cookiecutter.aws_account_id }}"
    }
  }
}
{%- endif %}

override_data {
  target = module.service.module.network.data.aws_availability_zones.available
  values = {
    names    = ["{{ cookiecutter.aws_region }}a", "{{ cookiecutter.aws_region }}b", "{{ cookiecutter.aws_region }}c"]
    zone_ids = ["zone-az1", "zone-az2", "zone-az3"]
  }
}

run "plans_the_environment" {
  command = plan

  assert {
    condition     = output.cluster_name == "{{ cookiecutter.project_slug }}-staging"
    error_message = "The cluster is <project>-<environment>."
  }
}
