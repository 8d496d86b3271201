# Shared by every account's bootstrap; the account itself comes from <environment>.tfvars
# (invoke bootstrap --env <environment> passes it, in a workspace named after the account).
region                = "{{ cookiecutter.aws_region }}"
project               = "{{ cookiecutter.project_slug }}"
github_repository     = "{{ cookiecutter.github_repository }}"
registry_account_id   = "{{ cookiecutter.aws_account_id }}"
production_account_id = "{{ cookiecutter.production_aws_account_id }}"
