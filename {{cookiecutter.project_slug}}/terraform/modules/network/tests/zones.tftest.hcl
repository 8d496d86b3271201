# Zone choice and subnet plan of the network module, planned with a mocked AWS provider.
mock_provider "aws" {
  source = "../../mocks/aws"

  # The expectations below name us-east-1, whichever region the project answered.
  mock_data "aws_region" {
    defaults = {
      region = "us-east-1"
    }
  }
}

variables {
  name                     = "probe-staging"
  cidr_block               = "10.10.0.0/16"
  single_nat_gateway       = false
  kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/probe"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/probe-staging-boundary"
}

run "three_zones_are_used_by_id_in_order" {
  command = plan

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names    = ["us-east-1a", "us-east-1b", "us-east-1c"]
      zone_ids = ["use1-az6", "use1-az1", "use1-az2"]
    }
  }

  assert {
    condition     = [for subnet in aws_subnet.private : subnet.availability_zone_id] == ["use1-az1", "use1-az2", "use1-az6"]
    error_message = "Subnets span the zones by sorted zone ID."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_subnet.public) == 3 && length(aws_subnet.database) == 3
    error_message = "One NAT gateway and one subnet of each tier per zone."
  }

  assert {
    condition     = contains(data.aws_availability_zones.available.exclude_zone_ids, "use1-az3") && contains(data.aws_availability_zones.available.exclude_zone_ids, "usw1-az2") && contains(data.aws_availability_zones.available.exclude_zone_ids, "cac1-az3")
    error_message = "The zone IDs EKS refuses are excluded from the lookup."
  }

  assert {
    condition     = [aws_subnet.public[0].cidr_block, aws_subnet.database[0].cidr_block, aws_subnet.private[0].cidr_block, aws_subnet.private[2].cidr_block] == ["10.10.0.0/22", "10.10.16.0/22", "10.10.128.0/19", "10.10.192.0/19"]
    error_message = "A /16 gets /22 public and database subnets and /19 private ones."
  }

  assert {
    condition     = output.zone_ids == tolist(["use1-az1", "use1-az2", "use1-az6"])
    error_message = "The zone IDs are an output."
  }
}

run "four_zones_use_the_first_three" {
  command = plan

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names    = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
      zone_ids = ["euw1-az4", "euw1-az3", "euw1-az2", "euw1-az1"]
    }
  }

  assert {
    condition     = [for subnet in aws_subnet.private : subnet.availability_zone_id] == ["euw1-az1", "euw1-az2", "euw1-az3"]
    error_message = "Four usable zones: the first three zone IDs."
  }
}

run "two_zone_region_works_with_one_nat_for_staging" {
  command = plan

  variables {
    single_nat_gateway = true
  }

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names    = ["us-west-1b", "us-west-1c"]
      zone_ids = ["usw1-az3", "usw1-az1"]
    }
  }

  assert {
    condition     = [for subnet in aws_subnet.private : subnet.availability_zone_id] == ["usw1-az1", "usw1-az3"]
    error_message = "A two-zone region gets two subnets per tier."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2
    error_message = "Staging: one NAT gateway routes both zones."
  }
}

run "one_usable_zone_is_refused" {
  command = plan

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names    = ["ca-central-1a"]
      zone_ids = ["cac1-az1"]
    }
  }

  expect_failures = [aws_vpc.this]
}

run "a_slash_20_vpc_gets_the_same_plan_scaled_down" {
  command = plan

  variables {
    cidr_block = "10.20.0.0/20"
  }

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names    = ["us-east-1a", "us-east-1b", "us-east-1c"]
      zone_ids = ["use1-az1", "use1-az2", "use1-az4"]
    }
  }

  assert {
    condition     = [aws_subnet.public[0].cidr_block, aws_subnet.database[0].cidr_block, aws_subnet.private[0].cidr_block, aws_subnet.private[2].cidr_block] == ["10.20.0.0/26", "10.20.1.0/26", "10.20.8.0/23", "10.20.12.0/23"]
    error_message = "A /20 gets /26 public and database subnets and /23 private ones."
  }
}

run "a_slash_21_vpc_is_refused" {
  command = plan

  variables {
    cidr_block = "10.20.0.0/21"
  }

  expect_failures = [var.cidr_block]
}
