data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  # Made by terraform/bootstrap in this account; named, not looked up, so a plan needs no extra reads.
  boundary_arn       = "arn:${local.partition}:iam::${local.account_id}:policy/${local.name}-boundary"
  provision_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.name}-provision"
  state_bucket       = "${var.project}-tfstate-${local.account_id}"
  cluster_arn        = "arn:${local.partition}:eks:${local.region}:${local.account_id}:cluster/${local.name}"
  # The repository lives in the registry (staging) account, so both environments deploy one digest.
  repository_url = "${var.registry_account_id}.dkr.ecr.${local.region}.amazonaws.com/${var.project}"
  private_api    = var.kubernetes_api_access == "private"
}

# The state's key and the runners' GitHub connection come from terraform/bootstrap.
data "aws_kms_alias" "state" {
  name = "alias/${var.project}-shared"
}

data "aws_codestarconnections_connection" "github" {
  name = "${var.project}-github"
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
  permissions_boundary_arn = local.boundary_arn
}

module "eks" {
  source = "../eks"

  name                     = local.name
  kubernetes_version       = var.kubernetes_version
  vpc_id                   = module.network.vpc_id
  vpc_cidr_block           = module.network.vpc_cidr_block
  subnet_ids               = module.network.private_subnet_ids
  kms_key_arn              = module.kms.key_arn
  endpoint_public_access   = !local.private_api
  public_access_cidrs      = var.kubernetes_api_cidrs
  node_instance_type       = var.node_instance_type
  node_min_size            = var.node_min_size
  node_max_size            = var.node_max_size
  node_desired_size        = var.node_desired_size
  log_retention_days       = var.log_retention_days
  deletion_protection      = var.deletion_protection
  cluster_admin_arns       = concat(var.cluster_admin_arns, [local.provision_role_arn])
  namespace_admin_arns     = { deploy = module.deploy_role.role_arn }
  app_namespace            = var.project
  app_service_account      = var.project
  app_secret_arns          = [module.database.master_secret_arn]
  app_kms_key_arns         = [module.kms.key_arn]
  metrics_namespace        = var.project
  permissions_boundary_arn = local.boundary_arn

  # The app logs in as its own database role with IAM authentication tokens.
  app_database_connect_arns = [module.database.app_connect_arn]
  # The CloudWatch add-on waits for its log groups (made with retention and the key by observability).
  container_insights_log_group_arns = module.observability.container_insights_log_group_arns

  api_client_security_group_ids = merge(
    { ci-runner = module.ci_runner.security_group_id },
    local.private_api ? { access-host = module.access_host[0].security_group_id } : {},
  )
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
  permissions_boundary_arn = local.boundary_arn
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
  permissions_boundary_arn = local.boundary_arn
}
{%- endif %}

# Deploys (deploy.yml, the redeploy workflow) act as this narrow role; Terraform is applied by the
# provision role bootstrap made. Every role of the environment carries bootstrap's boundary.
module "deploy_role" {
  source = "../deploy_role"

  name                     = local.name
  environment              = var.environment
  github_repository        = var.github_repository
  cluster_arn              = local.cluster_arn
  state_bucket_name        = local.state_bucket
  state_kms_key_arn        = data.aws_kms_alias.state.target_key_arn
  registry_account_id      = var.registry_account_id
  repository_name          = var.project
  permissions_boundary_arn = local.boundary_arn
}

# Every CI job that talks to the cluster runs here, inside the VPC, whatever the API access mode.
module "ci_runner" {
  source = "../ci_runner"

  name                     = local.name
  github_repository        = var.github_repository
  connection_arn           = data.aws_codestarconnections_connection.github.arn
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  kms_key_arn              = module.kms.key_arn
  log_retention_days       = var.log_retention_days
  permissions_boundary_arn = local.boundary_arn
}

# People reach a private API through Session Manager port forwarding on this instance.
module "access_host" {
  source = "../access_host"
  count  = local.private_api ? 1 : 0

  name                     = local.name
  vpc_id                   = module.network.vpc_id
  subnet_id                = module.network.private_subnet_ids[0]
  kms_key_arn              = module.kms.key_arn
  permissions_boundary_arn = local.boundary_arn
}
