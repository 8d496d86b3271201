locals {
  https = var.domain_name != ""
  # Behind CloudFront only the one port the VPC origin uses is open (CloudFront's prefix list counts
  # ~55 rules against the security group quota, so it is referenced once).
  ingress_ports = var.behind_cloudfront ? [local.https ? 443 : 80] : (local.https ? [80, 443] : [80])
}

# Requests reach an internal load balancer through CloudFront's VPC origin, whose traffic carries
# CloudFront's origin-facing addresses; nothing else can route to it.
data "aws_ec2_managed_prefix_list" "cloudfront" {
  count = var.behind_cloudfront ? 1 : 0
  name  = "com.amazonaws.global.cloudfront.origin-facing"
}

# A prefix rather than a name, so a change that replaces the group creates the new one first.
resource "aws_security_group" "this" {
  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}: web ports in, node port out"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-alb" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "web" {
  #checkov:skip=CKV_AWS_260:The public entry point of a web service listens on port 80 (it redirects to HTTPS when a domain is set); behind CloudFront the load balancer is internal and the source is CloudFront's prefix list.
  for_each          = toset([for port in local.ingress_ports : tostring(port)])
  security_group_id = aws_security_group.this.id
  description       = var.behind_cloudfront ? "Port ${each.key} from CloudFront's VPC origin" : "Port ${each.key} from the internet"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = var.behind_cloudfront ? null : "0.0.0.0/0"
  prefix_list_id    = var.behind_cloudfront ? data.aws_ec2_managed_prefix_list.cloudfront[0].id : null
}

resource "aws_vpc_security_group_egress_rule" "to_nodes" {
  security_group_id            = aws_security_group.this.id
  description                  = "To the app's node port on the nodes"
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
  referenced_security_group_id = var.node_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_alb" {
  security_group_id            = var.node_security_group_id
  description                  = "App node port from the load balancer of ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = var.node_port
  to_port                      = var.node_port
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:The Log4j rules (AWSManagedRulesKnownBadInputsRuleSet) are attached; the check also demands AWSManagedRulesAnonymousIpList, which would block CI runners and API clients on hosting providers.
  #checkov:skip=CKV2_AWS_20:With a domain, port 80 redirects to HTTPS (aws_lb_listener.http_redirect); without one there is no certificate to redirect to.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.behind_cloudfront
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.this.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = module.logs_bucket.name
    prefix  = "alb"
    enabled = true
  }

  # AWS tests delivery when logging is switched on, so the bucket policy must be in place first.
  depends_on = [module.logs_bucket]
}

# Instance targets on the node port: the Kubernetes NodePort Service forwards to the app's pods.
# AWS names it (unique), so a change that replaces it creates the new group before the listeners
# leave the old one; the Name tag carries the readable name.
resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:Load balancer to node port traffic stays inside the VPC; the pods serve plain HTTP and TLS ends at the load balancer or CloudFront.
  port                 = var.node_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    # /livez, not /readyz: a target is a node forwarding to any pod, and a database outage must not
    # take every node out of the load balancer.
    path                = "/livez"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = { Name = var.name }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_autoscaling_attachment" "nodes" {
  #checkov:skip=CKV2_AWS_15:The Auto Scaling group belongs to the EKS managed node group, which owns its health-check settings; Kubernetes replaces unhealthy pods.
  autoscaling_group_name = var.node_autoscaling_group_name
  lb_target_group_arn    = aws_lb_target_group.this.arn
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.this[0].certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "http_forward" {
  #checkov:skip=CKV_AWS_2:Exists only without a domain, when no certificate can be issued for the load balancer's AWS-generated name; CloudFront (when on) terminates TLS for viewers, otherwise the output no_tls_warning says NO TLS.
  #checkov:skip=CKV_AWS_103:Same listener: plain HTTP only while no domain is configured, so there is no TLS policy to set.
  count             = local.https ? 0 : 1
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}
