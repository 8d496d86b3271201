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
