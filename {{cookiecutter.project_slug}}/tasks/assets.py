"""Static files: publish src/<package>/static to the environment's S3 bucket behind CloudFront."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from pathlib import Path

from invoke import Context, task

from . import _aws
from .env import is_dry, project_root, resolve_env
from .terraform import load_outputs, output_value

PREFIX = "static/"  # CloudFront sends /static/* to the bucket with the path unchanged
# name.<8+ hex>.ext, as written by asset fingerprinting: the content can never change under that name.
FINGERPRINT = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300, must-revalidate"
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}
TEXT = ("text/", "application/json", "application/manifest+json", "image/svg+xml")
MAX_INVALIDATION_PATHS = 15


def content_type(name: str) -> str:
    kind = TYPES.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT) else kind


def cache_control(name: str) -> str:
    return IMMUTABLE if FINGERPRINT.search(name) else REVALIDATE


def local_files(static_dir: Path) -> dict[str, tuple[Path, str]]:
    """``{key: (path, md5 hex)}`` for every file under ``static_dir`` (dotfiles skipped)."""
    files = {}
    for path in sorted(static_dir.rglob("*")):
        relative = path.relative_to(static_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[PREFIX + relative.as_posix()] = (
                path,
                hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest(),
            )
    return files


def changed(local: dict[str, tuple[Path, str]], remote_etags: dict[str, str]) -> list[str]:
    """Keys whose content differs from the bucket (single-part uploads: ETag is the MD5)."""
    return [key for key, (_, md5) in local.items() if remote_etags.get(key, "").strip('"') != md5]


def invalidation_paths(keys: list[str]) -> list[str]:
    """CloudFront paths to invalidate: replaced, non-fingerprinted files; a wildcard when many."""
    paths = ["/" + key for key in keys if not FINGERPRINT.search(key)]
    if len(paths) > MAX_INVALIDATION_PATHS:
        return ["/" + PREFIX + "*"]
    return paths


def remote_etags(s3, bucket: str) -> dict[str, str]:
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        etags.update({item["Key"]: item["ETag"] for item in page.get("Contents", [])})
    return etags


def publish_files(c: Context, session, bucket: str, distribution: str, static_dir: Path) -> list[str]:
    """Upload what changed, invalidate what was replaced; the keys uploaded."""
    s3, local = session.client("s3"), local_files(static_dir)
    with _aws.aws_errors(f"listing s3://{bucket}/{PREFIX}"):
        todo = changed(local, remote_etags(s3, bucket))
    for key in todo:
        path = local[key][0]
        print(f"{'Would upload' if is_dry(c) else 'Uploading'} {key} ({content_type(key)}; {cache_control(key)})")
        if not is_dry(c):
            with _aws.aws_errors(f"uploading {key}"):
                s3.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=path.read_bytes(),
                    ContentType=content_type(key),
                    CacheControl=cache_control(key),
                )
    print(f"{len(local) - len(todo)} unchanged, {len(todo)} {'to upload' if is_dry(c) else 'uploaded'}.")
    paths = invalidation_paths(todo)
    if distribution and paths:
        print(f"{'Would invalidate' if is_dry(c) else 'Invalidating'} on CloudFront {distribution}: {' '.join(paths)}")
        if not is_dry(c):
            with _aws.aws_errors(f"invalidating CloudFront {distribution}"):
                session.client("cloudfront").create_invalidation(
                    DistributionId=distribution,
                    InvalidationBatch={
                        "Paths": {"Quantity": len(paths), "Items": paths},
                        "CallerReference": f"invoke-{time.time_ns()}",
                    },
                )
    return todo


@task(help={"env": "Environment whose static bucket to publish to."})
def publish(c, env=None):
    """Upload changed static files with content types and cache headers; invalidate CloudFront."""
    env = resolve_env(c, env)
    outputs = load_outputs(c, env)
    if "static_bucket_name" not in outputs and is_dry(c):
        print(f"Would publish changed static files to the static bucket of {env} (its name comes from Terraform).")
        return
    bucket = output_value(outputs, "static_bucket_name", env, dry=False)
    if not bucket:
        print(f"{env} has no static assets bucket (CloudFront is off): the app serves /static/ itself.")
        return
    static_dir = project_root(c) / "src" / c.config.project.package / "static"
    distribution = str(outputs.get("cloudfront_distribution_id") or "")
    publish_files(c, _aws.session(c.config.project.region), bucket, distribution, static_dir)
