data "aws_partition" "current" {}

locals {
  arm = can(regex("^[a-z]+[0-9]+g[a-z]*\\.", var.instance_type))
}

# The current Amazon Linux 2023 image, published by AWS in SSM; SSM and CloudWatch agents included.
data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.arm ? "arm64" : "x86_64"}"
}

# A prefix rather than a name, so a change that replaces the group creates the new one first.
resource "aws_security_group" "this" {
  name_prefix = "${var.name}-worker-"
  description = "Worker instance of ${var.name}: no inbound, HTTPS and the VPC outbound"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-worker" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (SSM, CloudWatch, Secrets Manager) and package mirrors"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "vpc" {
  security_group_id = aws_security_group.this.id
  description       = "Anything inside the VPC: DNS, the database, the service"
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_instance" "this" {
  ami                         = data.aws_ssm_parameter.ami.value
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  monitoring                  = true
  ebs_optimized               = true
  user_data_replace_on_change = false
  # Amazon Linux 2023 logs only to the journal. rsyslog, its documented way back to
  # /var/log/messages, reads the journal (imjournal) into the file the agent ships; this works with
  # every agent version, while the agent's own journald input needs 1.300070 (June 2026) or later.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y amazon-cloudwatch-agent rsyslog
    systemctl enable --now rsyslog
    cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'JSON'
    ${jsonencode(local.cloudwatch_agent_config)}
    JSON
    /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
      -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
  EOT

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_size           = var.volume_size_gb
    volume_type           = "gp3"
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  lifecycle {
    # A new AMI is picked up by replacing the instance on purpose, not on every plan.
    ignore_changes = [ami]
  }

  tags = { Name = "${var.name}-worker" }
}

locals {
  cloudwatch_agent_config = {
    agent = { metrics_collection_interval = 60 }
    metrics = {
      namespace         = "${var.name}/worker"
      append_dimensions = { InstanceId = "$${aws:InstanceId}" }
      metrics_collected = {
        mem  = { measurement = ["mem_used_percent"] }
        disk = { measurement = ["used_percent"], resources = ["/"] }
      }
    }
    logs = {
      logs_collected = {
        files = {
          collect_list = [{
            file_path       = "/var/log/messages"
            log_group_name  = aws_cloudwatch_log_group.this.name
            log_stream_name = "{instance_id}"
          }]
        }
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.name}/worker"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
