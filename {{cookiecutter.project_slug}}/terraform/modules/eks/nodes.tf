resource "aws_security_group" "nodes" {
  name        = "${var.name}-nodes"
  description = "EKS worker nodes of ${var.name}: ingress is added by the modules that need it (load balancer)"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-nodes" }
}

resource "aws_vpc_security_group_egress_rule" "nodes_https" {
  security_group_id = aws_security_group.nodes.id
  description       = "HTTPS to AWS APIs, ECR and public registries"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "nodes_vpc" {
  security_group_id = aws_security_group.nodes.id
  description       = "Anything inside the VPC: other nodes and pods, DNS, the database"
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_launch_template" "nodes" {
  name_prefix            = "${var.name}-nodes-"
  description            = "Nodes of ${var.name}: IMDSv2 only, encrypted volumes, no SSH key"
  update_default_version = true
  vpc_security_group_ids = [aws_eks_cluster.this.vpc_config[0].cluster_security_group_id, aws_security_group.nodes.id]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = var.node_disk_size_gb
      volume_type = "gp3"
      # Encrypted with the account's EBS key: a customer key would also need a key-policy grant
      # for the Auto Scaling service-linked role, which may not exist yet in a new account.
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-node" }
  }
}

# A change that replaces the group (instance type, subnets) brings the new group up before the old
# one goes, hence a generated name; the nodes follow the control plane's Kubernetes version.
resource "aws_eks_node_group" "this" {
  cluster_name           = aws_eks_cluster.this.name
  node_group_name_prefix = "${var.name}-default-"
  version                = aws_eks_cluster.this.version
  node_role_arn          = aws_iam_role.nodes.arn
  subnet_ids             = var.subnet_ids
  instance_types         = [var.node_instance_type]
  ami_type               = local.ami_type
  capacity_type          = "ON_DEMAND"

  scaling_config {
    min_size     = var.node_min_size
    max_size     = var.node_max_size
    desired_size = var.node_desired_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }

  lifecycle {
    create_before_destroy = true
    # The Cluster Autoscaler decides the current size once the group exists.
    ignore_changes = [scaling_config[0].desired_size]
  }

  # Self-managed add-ons are off (bootstrap_self_managed_addons), so nodes only turn Ready once the
  # managed network add-ons exist.
  depends_on = [
    aws_iam_role_policy_attachment.nodes,
    aws_eks_addon.vpc_cni,
    aws_eks_addon.kube_proxy,
    aws_eks_addon.pod_identity_agent,
  ]
}
