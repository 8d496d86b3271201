# Zones are chosen by ID, which names the same physical zone in every account (zone names are
# shuffled per account), and only among the region's own Availability Zones: Local and Wavelength
# Zones, opted into or not, are left out.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:The zones used are the first az_count zone IDs in sorted order, so a newly added zone never changes the set.
  state            = "available"
  exclude_zone_ids = var.excluded_zone_ids
  filter {
    name   = "zone-type"
    values = ["availability-zone"]
  }
}

locals {
  zone_ids = slice(sort(data.aws_availability_zones.available.zone_ids), 0, min(var.az_count, length(data.aws_availability_zones.available.zone_ids)))
  zones    = length(local.zone_ids)
  # The first quarter of the VPC holds the small subnets: public blocks at 0-2, database blocks at
  # 4-6 (each 1/64 of the VPC). Private subnets, where nodes and pods take their IPs, get whole
  # eighths from the fifth on. The same plan fits every prefix from /16 to /20.
  public_cidrs   = [for i in range(local.zones) : cidrsubnet(var.cidr_block, 6, i)]
  database_cidrs = [for i in range(local.zones) : cidrsubnet(var.cidr_block, 6, 4 + i)]
  private_cidrs  = [for i in range(local.zones) : cidrsubnet(var.cidr_block, 3, 4 + i)]
  nat_count      = var.single_nat_gateway ? 1 : local.zones
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }

  lifecycle {
    precondition {
      condition     = local.zones >= 2
      error_message = "This region offers ${local.zones} Availability Zone(s) that EKS accepts (zone IDs ${join(", ", local.zone_ids)}); EKS and a Multi-AZ database need at least 2: choose another region."
    }
  }
}

# Nothing may use the default security group: it is stripped of every rule.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-default-unused" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = var.name }
}

resource "aws_subnet" "public" {
  count                   = local.zones
  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.public_cidrs[count.index]
  availability_zone_id    = local.zone_ids[count.index]
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.name}-public-${local.zone_ids[count.index]}", Tier = "public" }
}

resource "aws_subnet" "private" {
  count                = local.zones
  vpc_id               = aws_vpc.this.id
  cidr_block           = local.private_cidrs[count.index]
  availability_zone_id = local.zone_ids[count.index]
  tags                 = { Name = "${var.name}-private-${local.zone_ids[count.index]}", Tier = "private" }
}

resource "aws_subnet" "database" {
  count                = local.zones
  vpc_id               = aws_vpc.this.id
  cidr_block           = local.database_cidrs[count.index]
  availability_zone_id = local.zone_ids[count.index]
  tags                 = { Name = "${var.name}-database-${local.zone_ids[count.index]}", Tier = "database" }
}

resource "aws_eip" "nat" {
  count  = local.nat_count
  domain = "vpc"
  tags   = { Name = "${var.name}-nat-${local.zone_ids[count.index]}" }
}

resource "aws_nat_gateway" "this" {
  count         = local.nat_count
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = { Name = "${var.name}-${local.zone_ids[count.index]}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count          = local.zones
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ, so moving from one NAT to one per AZ changes only the routes.
resource "aws_route_table" "private" {
  count  = local.zones
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-private-${local.zone_ids[count.index]}" }
}

resource "aws_route" "private_nat" {
  count                  = local.zones
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count          = local.zones
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Database subnets have no route out of the VPC at all.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-database" }
}

resource "aws_route_table_association" "database" {
  count          = local.zones
  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}

# Image layers from ECR and everything else in S3 bypass the NAT (and its per-GB charge).
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  tags              = { Name = "${var.name}-s3" }
}

data "aws_region" "current" {}
