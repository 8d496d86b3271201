# Staging: the same shape as production at the smallest sensible size, one NAT, no standby.
region             = "{{ cookiecutter.aws_region }}"
account_id         = "{{ cookiecutter.aws_account_id }}"
project            = "{{ cookiecutter.project_slug }}"
environment        = "staging"
github_repository  = "{{ cookiecutter.github_repository }}"
domain_name        = "{{ 'staging.' ~ cookiecutter.domain_name if cookiecutter.domain_name else '' }}"
route53_zone_id    = "{{ cookiecutter.route53_zone_id }}"
alarm_emails       = [{% if cookiecutter.alarm_email %}"{{ cookiecutter.alarm_email }}"{% endif %}]
kubernetes_version = "{{ cookiecutter.kubernetes_version }}"
database_name      = "{{ cookiecutter.package_name }}"
postgres_version   = "{{ cookiecutter.postgres_version }}"

single_nat_gateway = true

node_instance_type = "{{ cookiecutter.node_instance_type }}"
node_min_size      = 2
node_desired_size  = 2
node_max_size      = 3

db_instance_class           = "{{ cookiecutter.db_instance_class }}"
db_allocated_storage_gb     = 20
db_max_allocated_storage_gb = 50
db_multi_az                 = false
db_backup_retention_days    = 7
db_max_connections_alarm    = 60

deletion_protection = false
log_retention_days  = 30

vpc_cidr              = "{{ cookiecutter.staging_vpc_cidr }}"
kubernetes_api_access = "{{ cookiecutter.kubernetes_api_access }}"
kubernetes_api_cidrs  = [{% for cidr in cookiecutter.kubernetes_api_cidrs.split(',') if cidr.strip() %}"{{ cidr.strip() }}"{{ ", " if not loop.last }}{% endfor %}]
cluster_admin_arns    = [{% for arn in cookiecutter.cluster_admin_arns.split(',') if arn.strip() %}"{{ arn.strip() }}"{{ ", " if not loop.last }}{% endfor %}]
registry_account_id   = "{{ cookiecutter.aws_account_id }}"
{%- if cookiecutter.use_worker_instance == 'y' %}

worker_instance_type = "t3.micro"
{%- endif %}
