data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  provider     = "token.actions.githubusercontent.com"
  boundary_arn = "arn:${local.partition}:iam::${local.account_id}:policy/${var.name}-boundary"
  services = [
    "acm", "autoscaling", "cloudfront", "cloudwatch", "ec2", "ec2messages", "ecr", "eks", "eks-auth",
    "elasticloadbalancing", "iam", "kms", "logs", "pi", "rds", "s3", "secretsmanager", "sns", "ssm",
    "ssmmessages", "sts", "wafv2",
  ]
}

data "aws_iam_openid_connect_provider" "github" {
  url = "https://${local.provider}"
}

# Only jobs that run under this repository's GitHub environment may assume the role; the
# environment's protection rules (reviewers, branches) are what guard production.
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [data.aws_iam_openid_connect_provider.github.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.provider}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.provider}:sub"
      values   = ["repo:${var.github_repository}:environment:${var.environment}"]
    }
  }
}

# The deploy role applies this environment's Terraform (terraform.yml) as well as deploying, so its
# rights are broad; this boundary is what keeps them from turning into more. Every role of the
# environment carries it, and the deploy role can only create or change roles that carry it.
data "aws_iam_policy_document" "boundary" {
  # The services the environment's Terraform and its workloads use; a new service is added here on purpose.
  statement {
    sid       = "CeilingOfTheEnvironment"
    actions   = [for service in local.services : "${service}:*"]
    resources = ["*"]
  }

  statement {
    sid    = "NoAccountOrLongLivedIdentities"
    effect = "Deny"
    actions = [
      "organizations:*", "account:*", "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
      "iam:UpdateLoginProfile", "iam:CreateGroup", "iam:AddUserToGroup",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "BoundaryIsImmutable"
    effect    = "Deny"
    actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"]
    resources = [local.boundary_arn]
  }

  statement {
    sid       = "BoundaryStaysOn"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid    = "OnlyBoundedRoles"
    effect = "Deny"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:AttachRolePolicy",
      "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${var.name}-boundary"
  description = "Permissions boundary of every role in ${var.name}"
  policy      = data.aws_iam_policy_document.boundary.json
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-deploy"
  description          = "GitHub Actions: terraform apply and deploys of ${var.github_repository} to ${var.environment}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.boundary.arn
}

resource "aws_iam_role_policy_attachment" "deploy" {
  #checkov:skip=CKV_AWS_274:The role applies its environment's whole Terraform root (docs/contract.md); the permissions boundary caps it.
  role       = aws_iam_role.deploy.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AdministratorAccess"
}
