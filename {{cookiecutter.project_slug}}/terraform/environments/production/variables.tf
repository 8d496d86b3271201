# The settings terraform.tfvars gives this environment; modules/service validates them.
variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account the environment lives in; the provider refuses any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit AWS account id."
  }
}

variable "project" {
  description = "Project slug: names every resource, the Kubernetes namespace and the metrics namespace."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may deploy."
  type        = string
}

variable "domain_name" {
  description = "Public domain of the environment; empty to use the AWS-generated names."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name (Terraform writes the DNS records); empty to create them by hand."
  type        = string
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each confirms once)."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version, e.g. 1.34."
  type        = string
}

variable "database_name" {
  description = "Name of the application database (the Python package name)."
  type        = string
}

variable "postgres_version" {
  description = "PostgreSQL major version on RDS."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (staging) instead of one per zone (production)."
  type        = bool
}

variable "node_instance_type" {
  description = "EC2 instance type of the EKS nodes."
  type        = string
}

variable "node_min_size" {
  description = "Fewest EKS nodes."
  type        = number
}

variable "node_desired_size" {
  description = "EKS nodes at creation."
  type        = number
}

variable "node_max_size" {
  description = "Most EKS nodes."
  type        = number
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage in GiB."
  type        = number
}

variable "db_max_allocated_storage_gb" {
  description = "Ceiling of database storage autoscaling in GiB."
  type        = number
}

variable "db_multi_az" {
  description = "Keep a synchronous database standby in a second zone."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days automated database backups are kept."
  type        = number
}

variable "db_max_connections_alarm" {
  description = "Database connections above which the connections alarm fires."
  type        = number
}

variable "deletion_protection" {
  description = "Protect the cluster, database and load balancer from deletion."
  type        = bool
}

variable "waf_rate_limit_per_ip" {
  description = "Requests one client IP may send in 5 minutes before the public web ACL answers 429."
  type        = number
  default     = 2000
}

variable "log_retention_days" {
  description = "Days CloudWatch log groups keep their events."
  type        = number
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (/16 to /20)."
  type        = string
}

variable "kubernetes_api_access" {
  description = "How the Kubernetes API is reached: private (VPC runner, SSM tunnel) or public (kubernetes_api_cidrs)."
  type        = string
}

variable "kubernetes_api_cidrs" {
  description = "IPv4 CIDRs allowed to the public Kubernetes API endpoint (public access only)."
  type        = list(string)
}

variable "cluster_admin_arns" {
  description = "IAM roles or users given cluster-admin access entries (an SSO role's ARN keeps its path)."
  type        = list(string)
}

variable "registry_account_id" {
  description = "Account holding the ECR repository (the staging account)."
  type        = string
}
{%- if cookiecutter.use_worker_instance == 'y' %}

variable "worker_instance_type" {
  description = "EC2 instance type of the auxiliary worker."
  type        = string
}
{%- endif %}
