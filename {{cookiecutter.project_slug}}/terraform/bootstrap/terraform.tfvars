region            = "{{ cookiecutter.aws_region }}"
account_id        = "{{ cookiecutter.aws_account_id }}"
project           = "{{ cookiecutter.project_slug }}"
github_repository = "{{ cookiecutter.github_repository }}"
