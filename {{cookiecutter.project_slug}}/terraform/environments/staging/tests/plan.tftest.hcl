# Plan-level tests with a mocked AWS provider: `terraform test` (no credentials, no AWS calls).
# The run plans only (an apply against the mock and its teardown would double the time); the few
# computed values the assertions read are known at plan time through the shared mocks
# (override_during = plan in mocks/aws).
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
    names    = ["{{ cookiecutter.aws_region }}a", "{{ cookiecutter.aws_region }}b", "{{ cookiecutter.aws_region }}c", "{{ cookiecutter.aws_region }}d"]
    zone_ids = ["zone-az4", "zone-az2", "zone-az1", "zone-az3"]
  }
}

run "the_environment_as_answered" {
  command = plan

  assert {
    condition     = output.cluster_name == "{{ cookiecutter.project_slug }}-staging"
    error_message = "The cluster is <project>-<environment>."
  }

  assert {
    condition     = output.vpc_cidr == "{{ cookiecutter.staging_vpc_cidr }}"
    error_message = "The VPC has the answered CIDR."
  }

  assert {
    condition     = output.availability_zone_ids == tolist(["zone-az1", "zone-az2", "zone-az3"])
    error_message = "Four usable zones: the subnets span the first three zone IDs."
  }

  assert {
    condition     = output.runner_project_name == "{{ cookiecutter.project_slug }}-staging-runner"
    error_message = "Every environment has its CodeBuild runner <project>-<environment>-runner."
  }

  assert {
    condition     = output.kubernetes_api_access == "{{ cookiecutter.kubernetes_api_access }}"
    error_message = "The API access mode is the answered one."
  }

  assert {
    condition     = output.waf_rate_limit_per_ip == 2000
    error_message = "The public web ACL blocks a client IP above 2000 requests in 5 minutes (the default)."
  }

  assert {
    condition     = output.app_database_connect_arns == ["arn:aws:rds-db:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/{{ cookiecutter.package_name }}_app"]
    error_message = "The app's pod role may rds-db:connect exactly as the database's <package>_app role."
  }
{%- if cookiecutter.kubernetes_api_access == 'private' %}

  assert {
    condition     = output.access_instance_id != ""
    error_message = "A private API comes with the SSM access instance."
  }
{%- else %}

  assert {
    condition     = output.access_instance_id == ""
    error_message = "A public API needs no access instance."
  }
{%- endif %}

  assert {
    condition     = output.provision_role_arn == "arn:aws:iam::{{ cookiecutter.aws_account_id }}:role/{{ cookiecutter.project_slug }}-staging-provision"
    error_message = "The environment is applied by bootstrap's provision role."
  }

  assert {
    condition     = output.ecr_repository_url == "{{ cookiecutter.aws_account_id }}.dkr.ecr.{{ cookiecutter.aws_region }}.amazonaws.com/{{ cookiecutter.project_slug }}"
    error_message = "Both environments deploy from the registry in the staging account."
  }
}
