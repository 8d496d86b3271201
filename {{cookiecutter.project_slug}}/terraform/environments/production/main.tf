# Everything the environment runs is in modules/service; terraform.tfvars holds its settings.
module "service" {
  source = "../../modules/service"
{%- if cookiecutter.use_cloudfront == 'y' %}
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
{%- endif %}

  project                     = var.project
  environment                 = var.environment
  github_repository           = var.github_repository
  domain_name                 = var.domain_name
  route53_zone_id             = var.route53_zone_id
  alarm_emails                = var.alarm_emails
  kubernetes_version          = var.kubernetes_version
  database_name               = var.database_name
  postgres_version            = var.postgres_version
  single_nat_gateway          = var.single_nat_gateway
  node_instance_type          = var.node_instance_type
  node_min_size               = var.node_min_size
  node_desired_size           = var.node_desired_size
  node_max_size               = var.node_max_size
  db_instance_class           = var.db_instance_class
  db_allocated_storage_gb     = var.db_allocated_storage_gb
  db_max_allocated_storage_gb = var.db_max_allocated_storage_gb
  db_multi_az                 = var.db_multi_az
  db_backup_retention_days    = var.db_backup_retention_days
  db_max_connections_alarm    = var.db_max_connections_alarm
  deletion_protection         = var.deletion_protection
  log_retention_days          = var.log_retention_days
  waf_rate_limit_per_ip       = var.waf_rate_limit_per_ip
  vpc_cidr                    = var.vpc_cidr
  kubernetes_api_access       = var.kubernetes_api_access
  kubernetes_api_cidrs        = var.kubernetes_api_cidrs
  cluster_admin_arns          = var.cluster_admin_arns
  registry_account_id         = var.registry_account_id
{%- if cookiecutter.use_worker_instance == 'y' %}
  worker_instance_type        = var.worker_instance_type
{%- endif %}
}
