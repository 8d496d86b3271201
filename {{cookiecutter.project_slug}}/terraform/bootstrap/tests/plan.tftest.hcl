# Plan-level tests with a mocked AWS provider: `terraform test` (no credentials, no AWS calls).
mock_provider "aws" {
  source = "../mocks/aws"

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "{{ cookiecutter.aws_account_id }}"
    }
  }
}

run "plans_the_shared_resources" {
  command = plan

  assert {
    condition     = output.state_bucket == "{{ cookiecutter.project_slug }}-tfstate-{{ cookiecutter.aws_account_id }}"
    error_message = "The state bucket is <project>-tfstate-<account>."
  }

  assert {
    condition     = aws_iam_openid_connect_provider.github.url == "https://token.actions.githubusercontent.com"
    error_message = "Bootstrap creates GitHub's OIDC provider."
  }
}
