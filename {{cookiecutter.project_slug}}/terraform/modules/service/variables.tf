variable "project" {
  description = "Project slug: names every resource, the Kubernetes namespace and the metrics namespace."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.project)) && !can(regex("--", var.project))
    error_message = "project must be 2-21 lowercase letters, digits and single hyphens, starting with a letter (load balancer names allow 32 characters including -production)."
  }
}

variable "environment" {
  description = "Environment name."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may deploy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. example-org/example-service."
  }
}

variable "domain_name" {
  description = "Public domain of the environment; empty to use the AWS-generated names."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lowercase DNS name such as api.example.org."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name; when set, Terraform writes the certificates' validation records and the domain's alias records. Empty: they are created by hand (docs/runbook.md)."
  type        = string
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || (can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id)) && var.domain_name != "")
    error_message = "route53_zone_id must be empty or a hosted zone id such as Z0123456789ABCDEFGHIJ, and needs a domain_name."
  }
}

variable "max_request_body_bytes" {
  description = "Largest request body the app accepts: its MAX_CONTENT_LENGTH (1 MiB by default); the web ACLs answer 413 above it."
  type        = number
  default     = 1048576

  validation {
    condition     = var.max_request_body_bytes >= 1024 && var.max_request_body_bytes <= 1073741824
    error_message = "max_request_body_bytes must be between 1024 and 1073741824 bytes (the app's MAX_CONTENT_LENGTH range)."
  }
}

variable "waf_rate_limit_per_ip" {
  description = "Requests one client IP may send in 5 minutes before the public web ACL answers 429."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit_per_ip >= 10 && var.waf_rate_limit_per_ip <= 2000000000 && floor(var.waf_rate_limit_per_ip) == var.waf_rate_limit_per_ip
    error_message = "waf_rate_limit_per_ip must be a whole number of requests between 10 and 2000000000 (WAF's rate-based rule limits)."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC, /16 to /20, not overlapping the other environment's."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be an IPv4 CIDR with a prefix from /16 to /20, such as 10.10.0.0/16."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (staging) instead of one per zone (production)."
  type        = bool
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version, e.g. 1.34."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.34 (major.minor)."
  }
}

variable "kubernetes_api_access" {
  description = "private: the API endpoint is private, CI runs on the VPC's runner, people use the SSM tunnel; public: also a public endpoint limited to kubernetes_api_cidrs."
  type        = string

  validation {
    condition     = contains(["private", "public"], var.kubernetes_api_access)
    error_message = "kubernetes_api_access must be private or public."
  }
}

variable "kubernetes_api_cidrs" {
  description = "With public access: IPv4 CIDRs (office, VPN) allowed to the public Kubernetes API endpoint; empty with private."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.kubernetes_api_cidrs) <= 40 && alltrue([for cidr in var.kubernetes_api_cidrs : can(cidrhost(cidr, 0)) && !startswith(cidr, "0.0.0.0/")])
    error_message = "kubernetes_api_cidrs must be at most 40 IPv4 CIDRs, none of them 0.0.0.0/0."
  }
}

variable "cluster_admin_arns" {
  description = "IAM roles or users that administer the cluster (e.g. an SSO administrator role, path included)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cluster_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "cluster_admin_arns must hold IAM role or user ARNs such as arn:aws:iam::123456789012:role/Admin (keep an SSO role's path)."
  }
}

variable "registry_account_id" {
  description = "Account holding the ECR repository (the staging account)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be the 12-digit AWS account id."
  }
}

variable "node_instance_type" {
  description = "EC2 instance type of the EKS nodes."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.node_instance_type))
    error_message = "node_instance_type must be an EC2 instance type such as t3.medium."
  }
}

variable "node_min_size" {
  description = "Fewest EKS nodes."
  type        = number

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_max_size" {
  description = "Most EKS nodes."
  type        = number

  validation {
    condition     = var.node_max_size >= 1 && var.node_max_size <= 100
    error_message = "node_max_size must be between 1 and 100."
  }
}

variable "node_desired_size" {
  description = "EKS nodes at creation."
  type        = number

  validation {
    condition     = var.node_desired_size >= 1
    error_message = "node_desired_size must be at least 1."
  }
}

variable "database_name" {
  description = "Name of the application database (the Python package name)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold only letters, digits and underscores."
  }
}

variable "postgres_version" {
  description = "PostgreSQL major version on RDS."
  type        = string

  validation {
    condition     = contains(["15", "16", "17"], var.postgres_version)
    error_message = "postgres_version must be 15, 16 or 17."
  }
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS instance class such as db.t4g.micro."
  }
}

variable "db_allocated_storage_gb" {
  description = "Initial database storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage_gb >= 20
    error_message = "db_allocated_storage_gb must be at least 20 (the gp3 minimum)."
  }
}

variable "db_max_allocated_storage_gb" {
  description = "Ceiling of database storage autoscaling in GiB."
  type        = number

  validation {
    condition     = var.db_max_allocated_storage_gb >= 20 && var.db_max_allocated_storage_gb <= 65536
    error_message = "db_max_allocated_storage_gb must be between 20 and 65536."
  }
}

variable "db_multi_az" {
  description = "Keep a synchronous database standby in a second zone."
  type        = bool
}

variable "db_backup_retention_days" {
  description = "Days automated database backups are kept."
  type        = number

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "db_max_connections_alarm" {
  description = "Database connections above which the connections alarm fires."
  type        = number

  validation {
    condition     = var.db_max_connections_alarm > 0
    error_message = "db_max_connections_alarm must be greater than zero."
  }
}

variable "deletion_protection" {
  description = "Protect the cluster, database and load balancer from deletion."
  type        = bool
}

variable "log_retention_days" {
  description = "Days CloudWatch log groups keep their events."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses that receive alarm notifications."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alarm_emails must hold e-mail addresses such as oncall@example.com."
  }
}
{%- if cookiecutter.use_worker_instance == 'y' %}

variable "worker_instance_type" {
  description = "EC2 instance type of the auxiliary worker."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.worker_instance_type))
    error_message = "worker_instance_type must be an EC2 instance type such as t3.small."
  }
}
{%- endif %}
