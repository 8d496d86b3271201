locals {
  # The services the environment's Terraform and its workloads use; a new one is added here on purpose.
  services = [
    "acm", "autoscaling", "cloudfront", "cloudwatch", "codebuild", "codeconnections", "codestar-connections",
    "ec2", "ec2messages", "ecr", "eks", "eks-auth", "elasticloadbalancing", "iam", "kms", "logs", "pi",
    "rds", "rds-db", "route53", "s3", "secretsmanager", "sns", "ssm", "ssmmessages", "sts", "wafv2",
    # The CloudWatch agent (CloudWatchAgentServerPolicy) sends the OTLP and Application Signals traces to X-Ray.
    "xray",
  ]
  bootstrap_roles = [
    "${local.iam}:role/${var.project}-build",
    "${local.iam}:role/${var.project}-staging-plan",
    "${local.iam}:role/${var.project}-staging-provision",
    "${local.iam}:role/${var.project}-production-plan",
    "${local.iam}:role/${var.project}-production-provision",
  ]
  other_name = "${var.project}-${local.other}"
}

# The permissions boundary of every role of this environment (the CI roles here, and every role
# the environment's Terraform creates). In an account both environments share, it is what keeps
# one environment's principals out of the other's state, secrets, cluster, roles and key.
data "aws_iam_policy_document" "boundary" {
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
    sid       = "BoundariesAreImmutable"
    effect    = "Deny"
    actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
    resources = ["${local.iam}:policy/${var.project}-*-boundary"]
  }

  statement {
    sid       = "BoundaryStaysOn"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  # Creating a role, or changing what one may do, only with this boundary on it. These actions
  # carry iam:PermissionsBoundary; UpdateAssumeRolePolicy does not (it would always be denied).
  statement {
    sid    = "OnlyBoundedRoles"
    effect = "Deny"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:AttachRolePolicy",
      "iam:DetachRolePolicy", "iam:DeleteRolePolicy",
    ]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = ["${local.iam}:policy/${local.name}-boundary"]
    }
  }

  # The CI roles bootstrap made are changed only by an administrator running bootstrap.
  statement {
    sid         = "CiRolesAreFixed"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*", "iam:PassRole"]
    resources   = local.bootstrap_roles
  }

  statement {
    sid     = "NothingOfTheOtherEnvironment"
    effect  = "Deny"
    actions = ["*"]
    resources = [
      "${local.state_arn}/${local.other}/*",
      "${local.iam}:role/${local.other_name}-*",
      "${local.iam}:policy/${local.other_name}-*",
      "${local.iam}:instance-profile/${local.other_name}-*",
      "arn:${local.partition}:eks:*:${local.account_id}:cluster/${local.other_name}",
      "arn:${local.partition}:eks:*:${local.account_id}:*/${local.other_name}/*",
      "arn:${local.partition}:rds:*:${local.account_id}:*:${local.other_name}*",
      "arn:${local.partition}:secretsmanager:*:${local.account_id}:secret:${local.other_name}*",
      "arn:${local.partition}:kms:*:${local.account_id}:alias/${local.other_name}",
      "arn:${local.partition}:logs:*:${local.account_id}:log-group:*${local.other_name}*",
      "arn:${local.partition}:codebuild:*:${local.account_id}:project/${local.other_name}-*",
    ]
  }

  # Everything the other environment's Terraform created carries Environment = <other> (default_tags):
  # its KMS key included, whose ARN cannot be named in advance.
  statement {
    sid       = "NothingTaggedForTheOtherEnvironment"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [local.other]
    }
  }

  statement {
    sid       = "NothingNewForTheOtherEnvironment"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [local.other]
    }
  }

  # RDS names its managed master secret rds!db-<uuid> and tags it with the database's ARN: the tag
  # is the only handle on the other environment's database secret.
  statement {
    sid       = "NotTheOtherEnvironmentsDatabaseSecret"
    effect    = "Deny"
    actions   = ["secretsmanager:*"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["arn:${local.partition}:rds:*:${local.account_id}:db:${local.other_name}"]
    }
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${local.name}-boundary"
  description = "Permissions boundary of every role of ${local.name}"
  policy      = data.aws_iam_policy_document.boundary.json
}
