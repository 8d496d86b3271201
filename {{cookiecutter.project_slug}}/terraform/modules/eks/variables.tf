variable "name" {
  description = "Cluster name, <project>-<environment>; prefixes its roles and security groups."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits and hyphens (at most 100 characters), as EKS requires."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, e.g. 1.34."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.34 (major.minor)."
  }
}

variable "vpc_id" {
  description = "VPC the cluster and its nodes live in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of that VPC; nodes may reach anything inside it."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR such as 10.0.0.0/16."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the control-plane network interfaces and the nodes (at least two zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different zones (EKS requires two)."
  }
}

variable "kms_key_arn" {
  description = "KMS key for envelope encryption of Kubernetes secrets and for the control-plane log group."
  type        = string
}

variable "endpoint_public_access" {
  description = "Also expose the API server endpoint publicly (restricted to public_access_cidrs); the private endpoint is always on."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint when it is on (EKS takes at most 40)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.public_access_cidrs) <= 40 && alltrue([for cidr in var.public_access_cidrs : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be at most 40 valid IPv4 CIDRs and must not include 0.0.0.0/0 (name the office or VPN ranges)."
  }
}

variable "node_instance_type" {
  description = "EC2 instance type of the managed node group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.node_instance_type))
    error_message = "node_instance_type must be an EC2 instance type such as t3.medium or m7g.large."
  }
}

variable "node_min_size" {
  description = "Fewest nodes in the group."
  type        = number

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1 (the cluster's own pods need a node)."
  }
}

variable "node_max_size" {
  description = "Most nodes in the group."
  type        = number

  validation {
    condition     = var.node_max_size >= 1 && var.node_max_size <= 100
    error_message = "node_max_size must be between 1 and 100."
  }
}

variable "node_desired_size" {
  description = "Nodes to start with (later left to scaling)."
  type        = number
}

variable "node_disk_size_gb" {
  description = "Root volume size of each node in GiB."
  type        = number
  default     = 40

  validation {
    condition     = var.node_disk_size_gb >= 20 && var.node_disk_size_gb <= 1000
    error_message = "node_disk_size_gb must be between 20 and 1000."
  }
}

variable "log_retention_days" {
  description = "Days the control-plane logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster until this is switched off."
  type        = bool
}

variable "cluster_admin_arns" {
  description = "IAM roles and users given AmazonEKSClusterAdminPolicy at cluster scope (administrators, the provision role). Role ARNs keep their path (an SSO role's aws-reserved/sso.amazonaws.com/...)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.cluster_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "cluster_admin_arns must hold IAM role or user ARNs such as arn:aws:iam::123456789012:role/Admin (not an sts assumed-role ARN)."
  }
}

variable "namespace_admin_arns" {
  description = "IAM roles given AmazonEKSAdminPolicy in app_namespace only, by a stable key (e.g. { deploy = <role arn> })."
  type        = map(string)
  default     = {}
}

variable "api_client_security_group_ids" {
  description = "Security groups inside the VPC allowed to the Kubernetes API on 443, by a stable key (e.g. { ci-runner = sg-... })."
  type        = map(string)
  default     = {}
}

variable "app_database_connect_arns" {
  description = "rds-db:connect resources of the app's database role (RDS IAM authentication); empty grants none."
  type        = list(string)
  default     = []
}

variable "container_insights_log_group_arns" {
  description = "The four log groups the CloudWatch observability add-on writes into (/aws/containerinsights/<cluster>/{application,dataplane,host,performance}), created beforehand with retention and KMS; the add-on waits for them."
  type        = list(string)

  validation {
    condition     = length(var.container_insights_log_group_arns) == 4
    error_message = "container_insights_log_group_arns must list the four Container Insights log groups (application, dataplane, host, performance)."
  }
}

variable "app_namespace" {
  description = "Kubernetes namespace of the application."
  type        = string
}

variable "app_service_account" {
  description = "Service account of the application's pods; EKS Pod Identity binds the app role to it."
  type        = string
}

variable "app_secret_arns" {
  description = "Secrets Manager secrets the application may read (the database credentials)."
  type        = list(string)
}

variable "app_kms_key_arns" {
  description = "KMS keys the application may decrypt with (the keys of those secrets)."
  type        = list(string)
}

variable "metrics_namespace" {
  description = "The only CloudWatch metrics namespace the application may write to."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the module carries (from ci_identity)."
  type        = string
}
