output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer, NAT gateways), one per zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes and pods, the worker), one per zone."
  value       = aws_subnet.private[*].id
}

output "database_subnet_ids" {
  description = "Database subnets with no route out of the VPC, one per zone."
  value       = aws_subnet.database[*].id
}

output "nat_gateway_count" {
  description = "How many NAT gateways carry the private subnets' egress."
  value       = length(aws_nat_gateway.this)
}

output "zone_ids" {
  description = "IDs of the Availability Zones the subnets span, in subnet order."
  value       = local.zone_ids
}
