data "aws_partition" "current" {}

locals {
  arm = can(regex("^[a-z]+[0-9]+g[a-z]*\\.", var.instance_type))
}

# The current Amazon Linux 2023 image, published by AWS in SSM; the SSM agent is included.
data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.arm ? "arm64" : "x86_64"}"
}

# No inbound rule at all: people arrive through Session Manager, which the instance dials out to.
resource "aws_security_group" "this" {
  name        = "${var.name}-access"
  description = "SSM access instance of ${var.name}: no inbound, HTTPS outbound (SSM, the Kubernetes API)"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-access" }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to Systems Manager and to the Kubernetes API's private endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-access"
  description          = "SSM-only access instance of ${var.name}: Session Manager, nothing else"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-access"
  role = aws_iam_role.this.name
}

resource "aws_instance" "this" {
  ami                    = data.aws_ssm_parameter.ami.value
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [aws_security_group.this.id]
  iam_instance_profile   = aws_iam_instance_profile.this.name
  monitoring             = true
  ebs_optimized          = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_size           = 8
    volume_type           = "gp3"
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  lifecycle {
    # A new AMI is picked up by replacing the instance on purpose (terraform apply -replace), not on every plan.
    ignore_changes = [ami]
  }

  tags = { Name = "${var.name}-access" }
}
