data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  project_name = "${var.name}-runner"
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  project_arn  = "arn:${local.partition}:codebuild:${data.aws_region.current.region}:${local.account_id}:project/${local.project_name}"
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (log_retention_days); runner logs are job transcripts GitHub keeps too.
  name              = "/aws/codebuild/${local.project_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# Outbound HTTPS only: GitHub, AWS APIs and registries through the NAT, the cluster's private
# endpoint inside the VPC (the cluster security group admits this group on 443).
resource "aws_security_group" "this" {
  name        = local.project_name
  description = "GitHub Actions runner of ${var.name} (CodeBuild): no inbound, HTTPS outbound"
  vpc_id      = var.vpc_id
  tags        = { Name = local.project_name }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to GitHub, AWS APIs, registries and the Kubernetes API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# Only CodeBuild, for this project, may assume the role (confused-deputy guard).
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.project_arn]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = local.project_name
  description          = "CodeBuild-hosted GitHub Actions runner of ${var.name}; jobs assume their own roles through GitHub OIDC"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
}

# What the runner host itself needs: its logs, its network interfaces in the VPC and the GitHub
# connection. The jobs it runs get AWS rights only from the roles they assume.
data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_356:The VPC Describe calls CodeBuild makes have no resource-level permissions; every write below names its resources.
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "UseEnvironmentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid = "DescribeVpcForNetworkInterfaces"
    actions = [
      "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    ]
    resources = ["*"] # Describe calls have no resource-level permissions
  }

  statement {
    sid     = "CreateInterfacesInTheRunnerSubnets"
    actions = ["ec2:CreateNetworkInterface"]
    resources = concat(
      ["arn:${local.partition}:ec2:${data.aws_region.current.region}:${local.account_id}:network-interface/*"],
      [for id in var.subnet_ids : "arn:${local.partition}:ec2:${data.aws_region.current.region}:${local.account_id}:subnet/${id}"],
      [aws_security_group.this.arn],
    )
  }

  statement {
    sid       = "DeleteInterfaces"
    actions   = ["ec2:DeleteNetworkInterface"]
    resources = ["arn:${local.partition}:ec2:${data.aws_region.current.region}:${local.account_id}:network-interface/*"]
  }

  statement {
    sid       = "AttachInterfacesInTheRunnerSubnets"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:${local.partition}:ec2:${data.aws_region.current.region}:${local.account_id}:network-interface/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = [for id in var.subnet_ids : "arn:${local.partition}:ec2:${data.aws_region.current.region}:${local.account_id}:subnet/${id}"]
    }
  }

  statement {
    sid       = "UseGitHubConnection"
    actions   = ["codeconnections:UseConnection", "codeconnections:GetConnectionToken", "codestar-connections:UseConnection", "codestar-connections:GetConnectionToken"]
    resources = [var.connection_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "runner"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_codebuild_project" "this" {
  name           = local.project_name
  description    = "GitHub Actions runner inside ${var.name}'s VPC: jobs with runs-on codebuild-${local.project_name}-<run id>-<attempt>"
  service_role   = aws_iam_role.this.arn
  build_timeout  = var.build_timeout_minutes
  encryption_key = var.kms_key_arn

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type    = var.compute_type
    image           = var.image
    type            = "LINUX_CONTAINER"
    privileged_mode = false
  }

  source {
    type     = "GITHUB"
    location = "https://github.com/${var.github_repository}.git"

    auth {
      type     = "CODECONNECTIONS"
      resource = var.connection_arn
    }
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.this.name
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

# GitHub tells CodeBuild about every queued job; CodeBuild starts a runner for the jobs whose
# runs-on label names this project.
resource "aws_codebuild_webhook" "this" {
  project_name = aws_codebuild_project.this.name
  build_type   = "BUILD"

  filter_group {
    filter {
      type    = "EVENT"
      pattern = "WORKFLOW_JOB_QUEUED"
    }
  }
}
