# Defaults for the mocked AWS provider of every `terraform test` here: a mocked data source returns
# random strings, which would not parse as the JSON, ARNs and names the configuration builds on.
# The account (aws_caller_identity) is set by each root's tests: environments may live in different accounts.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_region" {
  defaults = {
    region = "{{ cookiecutter.aws_region }}"
  }
}

# A managed node group reports its Auto Scaling group (the load balancer attaches to it).
mock_resource "aws_eks_node_group" {
  defaults = {
    resources = [{ autoscaling_groups = [{ name = "eks-nodes-asg" }], remote_access_security_group_id = "" }]
  }
}

# What terraform/bootstrap made, as the environments read it.
mock_data "aws_codestarconnections_connection" {
  defaults = {
    arn = "arn:aws:codeconnections:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:connection/00000000-0000-4000-8000-000000000000"
  }
}

mock_data "aws_kms_alias" {
  defaults = {
    target_key_arn = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:key/00000000-0000-4000-8000-000000000001"
  }
}

# Resources whose ARN other resources take: the provider validates ARN arguments, so a mocked
# resource needs a well-formed one (its value is not asserted on).
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::{{ cookiecutter.aws_account_id }}:role/mocked"
  }
}

mock_resource "aws_iam_policy" {
  defaults = {
    arn = "arn:aws:iam::{{ cookiecutter.aws_account_id }}:policy/mocked"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:key/00000000-0000-4000-8000-000000000002"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:log-group:mocked"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:loadbalancer/app/mocked/0123456789abcdef"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:targetgroup/mocked/0123456789abcdef"
  }
}

mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:regional/webacl/mocked/00000000-0000-4000-8000-000000000003"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mocked"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:mocked"
  }
}

# CloudFront's log delivery source takes the distribution's ARN, and its delivery the destination's.
mock_resource "aws_cloudfront_distribution" {
  defaults = {
    arn            = "arn:aws:cloudfront::{{ cookiecutter.aws_account_id }}:distribution/E0123456789ABC"
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}

mock_resource "aws_cloudwatch_log_delivery_destination" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:{{ cookiecutter.aws_account_id }}:delivery-destination:mocked"
  }
}

# A certificate reports ACM's validation record for its domain (the Route 53 records are written from it).
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:certificate/00000000-0000-4000-8000-000000000004"
{%- if cookiecutter.domain_name %}
    domain_validation_options = [{
      domain_name           = "{{ cookiecutter.domain_name }}"
      resource_record_name  = "_0123456789abcdef.{{ cookiecutter.domain_name }}."
      resource_record_type  = "CNAME"
      resource_record_value = "_fedcba9876543210.acm-validations.aws."
    }]
{%- endif %}
  }
}

# RDS reports the secret it manages for the master user, and its DbiResourceId (the rds-db:connect
# resource). Known at plan time: the environments' tests plan only.
mock_resource "aws_db_instance" {
  override_during = plan
  defaults = {
    resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:secret:rds!db-00000000-0000-4000-8000-000000000005-AbCdEf"
      kms_key_id    = "arn:aws:kms:{{ cookiecutter.aws_region }}:{{ cookiecutter.aws_account_id }}:key/00000000-0000-4000-8000-000000000002"
      secret_status = "active"
    }]
  }
}

# EKS's default version of an add-on for the cluster's Kubernetes version.
mock_data "aws_eks_addon_version" {
  defaults = {
    version = "v1.0.0-eksbuild.1"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    latest_version = 1
  }
}

# The SSM access instance's id is an output the environments' tests check at plan time.
mock_resource "aws_instance" {
  override_during = plan
  defaults = {
    id = "i-0123456789abcdef0"
  }
}
