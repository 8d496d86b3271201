# Plan-level tests with a mocked AWS provider: `terraform test` (no credentials, no AWS calls).
# Each run bootstraps one account as `invoke bootstrap --env <environment>` does.
mock_provider "aws" {
  source = "../mocks/aws"
}

run "staging_account" {
  command = plan

  variables {
    account_id   = "{{ cookiecutter.aws_account_id }}"
    environments = {{ '["staging", "production"]' if cookiecutter.production_aws_account_id == cookiecutter.aws_account_id else '["staging"]' }}
  }

  assert {
    condition     = output.state_bucket == "{{ cookiecutter.project_slug }}-tfstate-{{ cookiecutter.aws_account_id }}"
    error_message = "The state bucket is <project>-tfstate-<account>."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1 && aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
    error_message = "An account without GitHub's OIDC provider gets one."
  }

  assert {
    condition     = sort(keys(module.ci_identity)) == tolist({{ '["production", "staging"]' if cookiecutter.production_aws_account_id == cookiecutter.aws_account_id else '["staging"]' }})
    error_message = "The account gets the CI roles of the environments it holds."
  }

  assert {
    condition     = length(module.registry) == 1 && aws_iam_role.build[0].name == "{{ cookiecutter.project_slug }}-build"
    error_message = "The registry account holds the repository and the build role."
  }

  assert {
    condition     = output.oidc_subjects["build"] == ["repo:{{ cookiecutter.github_repository }}:ref:refs/heads/main:job_workflow_ref:{{ cookiecutter.github_repository }}/.github/workflows/deploy.yml@refs/heads/main"]
    error_message = "The build role trusts deploy.yml on main only."
  }

  assert {
    condition = output.oidc_subjects["staging"] == {
      plan = [
        "repo:{{ cookiecutter.github_repository }}:ref:refs/heads/main:job_workflow_ref:{{ cookiecutter.github_repository }}/.github/workflows/terraform.yml@refs/heads/main",
        "repo:{{ cookiecutter.github_repository }}:pull_request:job_workflow_ref:{{ cookiecutter.github_repository }}/.github/workflows/terraform.yml@refs/pull/*/merge",
      ]
      provision = ["repo:{{ cookiecutter.github_repository }}:environment:staging:job_workflow_ref:{{ cookiecutter.github_repository }}/.github/workflows/terraform.yml@refs/heads/main"]
    }
    error_message = "Staging's plan role trusts terraform.yml on main and pull requests; its provision role terraform.yml on main in the staging environment."
  }

  assert {
    condition     = aws_codeconnections_connection.github.name == "{{ cookiecutter.project_slug }}-github" && aws_codeconnections_connection.github.provider_type == "GitHub"
    error_message = "Bootstrap creates the runners' GitHub connection."
  }
}

run "production_account" {
  command = plan

  variables {
    account_id   = "{{ cookiecutter.production_aws_account_id }}"
    environments = {{ '["staging", "production"]' if cookiecutter.production_aws_account_id == cookiecutter.aws_account_id else '["production"]' }}
  }

  assert {
    condition     = output.state_bucket == "{{ cookiecutter.project_slug }}-tfstate-{{ cookiecutter.production_aws_account_id }}"
    error_message = "Production's state lives in its own account's bucket."
  }

  assert {
    condition     = output.oidc_subjects["production"]["provision"] == ["repo:{{ cookiecutter.github_repository }}:environment:production:job_workflow_ref:{{ cookiecutter.github_repository }}/.github/workflows/terraform.yml@refs/heads/main"]
    error_message = "Production's provision role trusts terraform.yml on main in the production environment only."
  }
{%- if cookiecutter.production_aws_account_id != cookiecutter.aws_account_id %}

  assert {
    condition     = length(module.registry) == 0 && length(aws_iam_role.build) == 0
    error_message = "A separate production account holds no registry and no build role."
  }
{%- endif %}
}
{%- if cookiecutter.production_aws_account_id != cookiecutter.aws_account_id %}

run "registry_lets_production_pull_across_accounts" {
  command = plan

  variables {
    account_id   = "{{ cookiecutter.aws_account_id }}"
    environments = ["staging"]
  }

  assert {
    condition     = length(module.registry[0].pull_policy_principals) == 2 && contains(module.registry[0].pull_policy_principals, "arn:aws:iam::{{ cookiecutter.production_aws_account_id }}:role/{{ cookiecutter.project_slug }}-production-nodes")
    error_message = "The repository lets production's node and deploy roles pull."
  }
}
{%- endif %}

run "an_existing_github_provider_is_adopted" {
  command = plan

  variables {
    account_id                  = "{{ cookiecutter.aws_account_id }}"
    environments                = ["staging"]
    github_oidc_provider_exists = true
  }

  override_data {
    target = data.aws_iam_openid_connect_provider.github[0]
    values = {
      arn = "arn:aws:iam::{{ cookiecutter.aws_account_id }}:oidc-provider/token.actions.githubusercontent.com"
    }
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "An existing provider is not created again (IAM allows one per URL)."
  }

  assert {
    condition     = output.github_oidc_provider_arn == "arn:aws:iam::{{ cookiecutter.aws_account_id }}:oidc-provider/token.actions.githubusercontent.com"
    error_message = "The roles trust the adopted provider."
  }
}
