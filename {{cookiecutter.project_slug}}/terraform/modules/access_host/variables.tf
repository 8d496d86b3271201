variable "name" {
  description = "Environment name prefix, <project>-<environment>; the instance, role and group are <name>-access."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the instance."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet of the instance (Session Manager is reached through the NAT)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type; the tunnel moves little data."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t4g.nano."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the root volume."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every IAM role of the environment carries."
  type        = string
}
