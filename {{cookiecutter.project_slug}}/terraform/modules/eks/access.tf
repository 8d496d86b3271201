# Who may do what inside the cluster (authentication_mode API): administrators and the provision
# role at cluster scope; the deploy role administers the application's namespace and nothing else.
resource "aws_eks_access_entry" "admins" {
  for_each      = toset(var.cluster_admin_arns)
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "admins" {
  for_each      = toset(var.cluster_admin_arns)
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.admins[each.value].principal_arn
  policy_arn    = "${local.access_scope}/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

resource "aws_eks_access_entry" "namespace_admins" {
  for_each      = var.namespace_admin_arns
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "namespace_admins" {
  for_each      = var.namespace_admin_arns
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.namespace_admins[each.key].principal_arn
  policy_arn    = "${local.access_scope}/AmazonEKSAdminPolicy"

  access_scope {
    type       = "namespace"
    namespaces = [var.app_namespace]
  }
}
