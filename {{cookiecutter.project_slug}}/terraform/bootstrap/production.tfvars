account_id   = "{{ cookiecutter.production_aws_account_id }}"
environments = {{ '["staging", "production"]' if cookiecutter.production_aws_account_id == cookiecutter.aws_account_id else '["production"]' }}
