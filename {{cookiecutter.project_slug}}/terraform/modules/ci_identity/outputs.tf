output "permissions_boundary_arn" {
  description = "Permissions boundary every role of the environment must carry."
  value       = aws_iam_policy.boundary.arn
}

output "plan_role_arn" {
  description = "Role terraform.yml's plan jobs assume (pull requests and main)."
  value       = aws_iam_role.plan.arn
}

output "provision_role_arn" {
  description = "Role terraform.yml's apply job assumes (GitHub environment <environment>, main)."
  value       = aws_iam_role.provision.arn
}

output "oidc_subjects" {
  description = "OIDC subjects each role admits (exact, and patterns matched with StringLike)."
  value = {
    plan      = concat(local.plan_subjects, local.plan_patterns)
    provision = local.provision_subjects
  }
}
