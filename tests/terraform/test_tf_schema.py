"""Every aws_* resource and data block against the hashicorp/aws schemas of the pinned floor (6.25.0)
and of the newest 6.x on PyPI (6.69.1), with no registry needed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aws_schema import SOURCES, check_blocks, load_schema
from conftest import BAKE_IDS, figure, modules
from hcl import parse_file

# The hashicorp/aws version each wheel's assembly must describe, written out rather than read back.
EXPECTED_PROVIDER = {"cdktf_cdktf_provider_aws": "6.25.0", "cdktn_provider_aws": "6.69.1"}


@pytest.fixture(scope="session", params=SOURCES, ids=lambda source: f"aws-{source.provider_version}")
def schema(request) -> dict:
    started = time.monotonic()
    loaded = load_schema(request.param)
    assert loaded["provider_version"] == EXPECTED_PROVIDER[request.param.package]
    figure(
        f"timing: aws provider schema {loaded['provider_version']} loaded in {time.monotonic() - started:.1f}s "
        f"({len(loaded['resource'])} resources, {len(loaded['data'])} data sources)"
    )
    return loaded


def _problems(tmp_path: Path, schema: dict, text: str) -> list[str]:
    path = tmp_path / "probe.tf"
    path.write_text(text)
    problems, _ = check_blocks(parse_file(path).blocks, schema)
    return [str(problem) for problem in problems]


def test_correct_block_passes(tmp_path, schema):
    text = """
resource "aws_s3_bucket" "this" {
  bucket = "example"
  count  = 1
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_iam_role" "this" {
  name               = "r"
  assume_role_policy = "{}"
}
"""
    assert _problems(tmp_path, schema, text) == []


def test_misspelt_argument_is_caught(tmp_path, schema):
    text = 'resource "aws_s3_bucket" "this" {\n  bucket        = "example"\n  force_destory = true\n}\n'
    assert _problems(tmp_path, schema, text) == [
        f"{tmp_path / 'probe.tf'}:3: aws_s3_bucket.this: unknown argument `force_destory`"
    ]


def test_missing_required_argument_is_caught(tmp_path, schema):
    text = 'resource "aws_iam_role" "this" {\n  name = "deploy"\n}\n'
    assert _problems(tmp_path, schema, text) == [
        f"{tmp_path / 'probe.tf'}:1: aws_iam_role.this: missing required argument `assume_role_policy`"
    ]


def test_unknown_nested_block_is_caught(tmp_path, schema):
    text = """
resource "aws_eks_cluster" "this" {
  name     = "c"
  role_arn = "arn"
  vpc_config {
    subnet_ids = ["a", "b"]
  }
  encryption {
    resources = ["secrets"]
  }
}
"""
    assert _problems(tmp_path, schema, text) == [
        f"{tmp_path / 'probe.tf'}:8: aws_eks_cluster.this: unknown block `encryption`"
    ]


def test_problems_inside_nested_and_dynamic_blocks_are_caught(tmp_path, schema):
    text = """
resource "aws_eks_cluster" "this" {
  name     = "c"
  role_arn = "arn"
  vpc_config {
    subnet_id = ["a"]
  }
  dynamic "encryption_config" {
    for_each = [1]
    content {
      resource = ["secrets"]
    }
  }
}
"""
    path = tmp_path / "probe.tf"
    assert sorted(_problems(tmp_path, schema, text)) == sorted(
        [
            f"{path}:6: aws_eks_cluster.this.vpc_config: unknown argument `subnet_id`",
            f"{path}:5: aws_eks_cluster.this.vpc_config: missing required argument `subnet_ids`",
            f"{path}:11: aws_eks_cluster.this.encryption_config: unknown argument `resource`",
            f"{path}:8: aws_eks_cluster.this.encryption_config: missing required argument `resources`",
            f"{path}:8: aws_eks_cluster.this.encryption_config: missing required block `provider`",
        ]
    )


def test_missing_required_block_and_unknown_types_are_caught(tmp_path, schema):
    text = """
resource "aws_eks_cluster" "this" {
  name     = "c"
  role_arn = "arn"
}

resource "aws_s3_bukket" "this" {
  bucket = "x"
}

data "aws_no_such_thing" "this" {}
"""
    path = tmp_path / "probe.tf"
    version = schema["provider_version"]
    assert _problems(tmp_path, schema, text) == [
        f"{path}:2: aws_eks_cluster.this: missing required block `vpc_config`",
        f"{path}:7: aws_s3_bukket.this: unknown resource type `aws_s3_bukket` in hashicorp/aws {version}",
        f"{path}:11: data.aws_no_such_thing.this: unknown data type `aws_no_such_thing` in hashicorp/aws {version}",
    ]


def test_every_bake_matches_the_provider_schema(schema):
    problems, checked = [], 0
    for bake_id in BAKE_IDS:
        blocks = [block for directory_blocks in modules(bake_id).values() for block in directory_blocks]
        found, count = check_blocks(blocks, schema)
        problems += [f"[{bake_id}] {problem}" for problem in found]
        checked += count
    figure(
        f"schema-checked {checked} aws_* resource/data blocks across {len(BAKE_IDS)} bakes "
        f"against hashicorp/aws {schema['provider_version']}"
    )
    assert checked > 0
    assert not problems, "\n".join(problems)
