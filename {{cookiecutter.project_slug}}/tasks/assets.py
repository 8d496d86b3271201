"""Static files: publish src/<package>/static to the environment's S3 bucket behind CloudFront."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from pathlib import Path

from invoke import task

from . import _aws
from .environment import Environment, resolve

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


def publish_files(env: Environment, bucket: str, distribution: str, static_dir: Path) -> list[str]:
    """Upload what changed, invalidate what was replaced; the keys uploaded."""
    s3, local = env.session.client("s3"), local_files(static_dir)
    with _aws.aws_errors(f"listing s3://{bucket}/{PREFIX}"):
        todo = changed(local, remote_etags(s3, bucket))
    for key in todo:
        path, kind, cache = local[key][0], content_type(key), cache_control(key)

        def upload(key: str = key, path: Path = path, kind: str = kind, cache: str = cache) -> None:
            with _aws.aws_errors(f"uploading {key}"):
                s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind, CacheControl=cache)

        env.fx.change("aws", f"s3 put s3://{bucket}/{key} ({kind}; {cache})", upload, None)
    print(f"{len(local) - len(todo)} unchanged, {len(todo)} {'to upload' if env.fx.dry else 'uploaded'}.")
    paths = invalidation_paths(todo)
    if distribution and paths:

        def invalidate() -> None:
            with _aws.aws_errors(f"invalidating CloudFront {distribution}"):
                env.session.client("cloudfront").create_invalidation(
                    DistributionId=distribution,
                    InvalidationBatch={
                        "Paths": {"Quantity": len(paths), "Items": paths},
                        "CallerReference": f"invoke-{time.time_ns()}",
                    },
                )

        env.fx.change("aws", f"cloudfront invalidate {distribution}: {' '.join(paths)}", invalidate, None)
    return todo


@task(help={"env": "Environment whose static bucket to publish to."})
def publish(c, env=None):
    """Upload changed static files with content types and cache headers; invalidate CloudFront."""
    env = resolve(c, env)
    bucket = env.output("static_bucket_name")
    if not bucket:
        print(f"{env.name} has no static assets bucket (CloudFront is off): the app serves /static/ itself.")
        return
    static_dir = env.project.root / "src" / env.project.package / "static"
    publish_files(env, bucket, str(env.outputs.get("cloudfront_distribution_id") or ""), static_dir)
