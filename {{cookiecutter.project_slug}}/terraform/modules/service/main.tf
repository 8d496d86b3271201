locals {
  name = "${var.project}-${var.environment}"
}

# The repository is account-level (terraform/bootstrap), so both environments deploy one digest.
data "aws_ecr_repository" "app" {
  name = var.project
}

module "kms" {
  source = "../kms"

  name                    = local.name
  description             = "Data of ${local.name}: logs, database, secrets, volumes{% if cookiecutter.use_cloudfront == 'y' %}, static assets{% endif %}"
  allow_cloudwatch_logs   = true
  allow_cloudwatch_alarms = true
  allow_cloudfront        = {{ 'true' if cookiecutter.use_cloudfront == 'y' else 'false' }}
}

module "network" {
  source = "../network"

  name                     = local.name
  cidr_block               = var.vpc_cidr
  single_nat_gateway       = var.single_nat_gateway
  flow_log_retention_days  = var.log_retention_days
  kms_key_arn              = module.kms.key_arn
  permissions_boundary_arn = module.ci_identity.permissions_boundary_arn
}

module "eks" {
  source = "../eks"

  name                     = local.name
  kubernetes_version       = var.kubernetes_version
  vpc_id                   = module.network.vpc_id
  vpc_cidr_block           = module.network.vpc_cidr_block
  subnet_ids               = module.network.private_subnet_ids
  kms_key_arn              = module.kms.key_arn
  endpoint_public_access   = var.cluster_endpoint_public_access
  public_access_cidrs      = var.cluster_endpoint_public_access_cidrs
  node_instance_type       = var.node_instance_type
  node_min_size            = var.node_min_size
  node_max_size            = var.node_max_size
  node_desired_size        = var.node_desired_size
  log_retention_days       = var.log_retention_days
  deletion_protection      = var.deletion_protection
  cluster_admins           = merge(var.cluster_admin_arns, { deploy = module.ci_identity.deploy_role_arn })
  app_namespace            = var.project
  app_service_account      = var.project
  app_secret_arns          = [module.database.master_secret_arn]
  app_kms_key_arns         = [module.kms.key_arn]
  metrics_namespace        = var.project
  permissions_boundary_arn = module.ci_identity.permissions_boundary_arn
}

module "database" {
  source = "../database"

  identifier               = local.name
  database_name            = var.database_name
  postgres_major_version   = var.postgres_version
  instance_class           = var.db_instance_class
  allocated_storage_gb     = var.db_allocated_storage_gb
  max_allocated_storage_gb = var.db_max_allocated_storage_gb
  multi_az                 = var.db_multi_az
  deletion_protection      = var.deletion_protection
  backup_retention_days    = var.db_backup_retention_days
  log_retention_days       = var.log_retention_days
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.database_subnet_ids
  kms_key_arn              = module.kms.key_arn
  permissions_boundary_arn = module.ci_identity.permissions_boundary_arn
  client_security_group_ids = {
    nodes   = module.eks.node_security_group_id
    cluster = module.eks.cluster_security_group_id
{%- if cookiecutter.use_worker_instance == 'y' %}
    worker  = module.worker.security_group_id
{%- endif %}
  }
}

# Behind CloudFront the load balancer is internal (a VPC origin); otherwise it is the public entry.
module "load_balancer" {
  source = "../load_balancer"

  name                        = local.name
  vpc_id                      = module.network.vpc_id
  subnet_ids                  = module.network.{{ 'private' if cookiecutter.use_cloudfront == 'y' else 'public' }}_subnet_ids
  behind_cloudfront           = {{ 'true' if cookiecutter.use_cloudfront == 'y' else 'false' }}
  node_security_group_id      = module.eks.node_security_group_id
  node_autoscaling_group_name = module.eks.node_autoscaling_group_name
  domain_name                 = var.domain_name
  route53_zone_id             = var.route53_zone_id
  deletion_protection         = var.deletion_protection
  kms_key_arn                 = module.kms.key_arn
  log_retention_days          = var.log_retention_days
  max_request_body_bytes      = var.max_request_body_bytes
  rate_limit_per_ip           = var.waf_rate_limit_per_ip
}
{%- if cookiecutter.use_cloudfront == 'y' %}

module "edge" {
  source = "../edge"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                   = local.name
  domain_name            = var.domain_name
  route53_zone_id        = var.route53_zone_id
  load_balancer_dns_name = module.load_balancer.dns_name
  load_balancer_arn      = module.load_balancer.arn
  origin_protocol        = module.load_balancer.origin_protocol
  kms_key_arn            = module.kms.key_arn
  log_bucket_name        = module.load_balancer.log_bucket_name
  log_bucket_arn         = module.load_balancer.log_bucket_arn
  log_retention_days     = var.log_retention_days
  max_request_body_bytes = var.max_request_body_bytes
  rate_limit_per_ip      = var.waf_rate_limit_per_ip
}
{%- endif %}

module "observability" {
  source = "../observability"

  name                     = local.name
  cluster_name             = module.eks.cluster_name
  app_namespace            = var.project
  app_name                 = var.project
  metrics_namespace        = var.project
  load_balancer_arn_suffix = module.load_balancer.arn_suffix
  target_group_arn_suffix  = module.load_balancer.target_group_arn_suffix
  db_instance_identifier   = module.database.identifier
  kms_key_arn              = module.kms.key_arn
  log_retention_days       = var.log_retention_days
  alarm_emails             = var.alarm_emails
  runbook_url              = "https://github.com/${var.github_repository}/blob/main/docs/runbook.md"
  rds_max_connections      = var.db_max_connections_alarm
  # The free-storage alarm is placed below the point where storage autoscaling acts.
  db_allocated_storage_gb     = module.database.allocated_storage_gb
  db_max_allocated_storage_gb = module.database.max_allocated_storage_gb
}
{%- if cookiecutter.use_worker_instance == 'y' %}

module "worker" {
  source = "../worker"

  name                     = local.name
  instance_type            = var.worker_instance_type
  vpc_id                   = module.network.vpc_id
  vpc_cidr_block           = module.network.vpc_cidr_block
  subnet_id                = module.network.private_subnet_ids[0]
  kms_key_arn              = module.kms.key_arn
  log_retention_days       = var.log_retention_days
  readable_secret_arns     = [module.database.master_secret_arn]
  permissions_boundary_arn = module.ci_identity.permissions_boundary_arn
}
{%- endif %}

# The deploy role applies the environment root (terraform.yml) and deploys; every role carries its boundary.
module "ci_identity" {
  source = "../ci_identity"

  name              = local.name
  environment       = var.environment
  github_repository = var.github_repository
}
