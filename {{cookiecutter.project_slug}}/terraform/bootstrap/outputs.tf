output "state_bucket" {
  description = "Bucket holding this account's environments' state (key <environment>/terraform.tfstate)."
  value       = module.state_bucket.name
}

output "state_kms_key_arn" {
  description = "KMS key of the state (and images): backend.tf names it by its alias, alias/<project>-shared."
  value       = module.kms.key_arn
}

output "ecr_repository_url" {
  description = "ECR repository of the service image (empty outside the registry account)."
  value       = local.is_registry ? module.registry[0].repository_url : ""
}

output "build_role_arn" {
  description = "Role deploy.yml's build job assumes to push the image (empty outside the registry account)."
  value       = local.is_registry ? aws_iam_role.build[0].arn : ""
}

output "plan_role_arns" {
  description = "Role terraform.yml's plan jobs assume, by environment."
  value       = { for environment, identity in module.ci_identity : environment => identity.plan_role_arn }
}

output "provision_role_arns" {
  description = "Role terraform.yml's apply jobs assume, by environment."
  value       = { for environment, identity in module.ci_identity : environment => identity.provision_role_arn }
}

output "permissions_boundary_arns" {
  description = "Permissions boundary of each environment's roles, by environment."
  value       = { for environment, identity in module.ci_identity : environment => identity.permissions_boundary_arn }
}

output "github_oidc_provider_arn" {
  description = "IAM OIDC provider for GitHub Actions (created here, or adopted when github_oidc_provider_exists)."
  value       = local.github_oidc_provider_arn
}

output "github_connection_arn" {
  description = "CodeConnections connection of the CI runners; PENDING until completed once in the console."
  value       = aws_codeconnections_connection.github.arn
}

output "oidc_subjects" {
  description = "The OIDC subjects each role admits (the customised claim: repo, context, job_workflow_ref)."
  value = merge(
    { for environment, identity in module.ci_identity : environment => identity.oidc_subjects },
    local.is_registry ? { build = [local.build_subject] } : {},
  )
}
