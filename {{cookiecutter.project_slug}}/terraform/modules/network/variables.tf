variable "name" {
  description = "Name prefix of every network resource, e.g. <project>-<environment>."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /20; the VPC CNI gives each pod a VPC address, so larger leaves room for more pods."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20, false)
    error_message = "cidr_block must be an IPv4 CIDR with a prefix from /16 to /20, such as 10.10.0.0/16."
  }
}

variable "az_count" {
  description = "Most Availability Zones the subnets span; fewer when the region has fewer that EKS accepts (at least 2 are required)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (EKS and Multi-AZ RDS need at least two zones; the subnet plan has room for three)."
  }
}

variable "excluded_zone_ids" {
  description = "Zone IDs never used: those where EKS refuses to place a control plane (Amazon EKS user guide, cluster VPC requirements)."
  type        = list(string)
  default     = ["use1-az3", "usw1-az2", "cac1-az3"]

  validation {
    condition     = alltrue([for id in var.excluded_zone_ids : can(regex("^[a-z]{2,5}[0-9]+-az[0-9]+$", id))])
    error_message = "excluded_zone_ids must hold zone IDs such as use1-az3."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheap, one zone's outage cuts egress) instead of one per zone."
  type        = bool
}

variable "flow_log_retention_days" {
  description = "Days VPC flow logs are kept."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow-log group."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the module carries (from ci_identity)."
  type        = string
}
