"""Check `aws_*` resources and data sources against the hashicorp/aws provider schema, offline.

`terraform validate` needs the provider binary of the pinned major version, which these machines
cannot download. The same schema ships inside CDK provider wheels as a jsii assembly
(`cdktf-cdktf-provider-aws` for the 6.25 floor the Terraform pins, `cdktn-provider-aws` for the newest
6.x on PyPI, to catch arguments removed or renamed since): each
resource class links to its registry page (`.../docs/resources/eks_cluster`), its `...Config`
struct lists the arguments (`optional` absent = required) and every property's docs link ends in
`#snake_name`; nested blocks are properties whose type is another struct. This module turns that
into a small JSON schema (cached per version), then checks parsed blocks against it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hcl import Block

SCHEMA_FORMAT = 2  # bump when the extracted shape changes, so stale caches are not read


@dataclass(frozen=True)
class SchemaSource:
    """One wheel carrying one hashicorp/aws schema."""

    package: str  # the Python package, found without importing jsii
    package_version: str
    provider_version: str  # hashicorp/aws version the assembly links its docs to
    framework: str  # fqn prefix of the framework's own types (TerraformResource, ...)


# The floor the Terraform pins (~> 6.25) and the newest 6.x on PyPI (see requirements/terraform.txt).
SOURCES = (
    SchemaSource("cdktf_cdktf_provider_aws", "21.22.1", "6.25.0", "cdktf"),
    SchemaSource("cdktn_provider_aws", "25.8.1", "6.69.1", "cdktn"),
)

# Arguments Terraform itself gives every resource / data block, not the provider.
META_ARGUMENTS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}

_DOC_LINK = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+)\}?")
_ANCHOR = re.compile(r"#([a-z0-9_]+) ")


# ---------------------------------------------------------------- extraction from the jsii assembly


def _jsii_archive(source: SchemaSource) -> Path:
    spec = importlib.util.find_spec(source.package)  # locates the package without importing jsii
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"{source.package}=={source.package_version} is not installed (see requirements/terraform.txt)"
        )
    jsii = Path(next(iter(spec.submodule_search_locations))) / "_jsii"
    return jsii / f"provider-aws@{source.package_version}.jsii.tgz"


def _struct_fqn(type_ref: dict, framework: str) -> str | None:
    """The provider struct a property type refers to, through unions and collections."""
    if "fqn" in type_ref:
        return None if type_ref["fqn"].startswith(f"{framework}.") else type_ref["fqn"]
    if "collection" in type_ref:
        return _struct_fqn(type_ref["collection"]["elementtype"], framework)
    for member in type_ref.get("union", {}).get("types", []):
        found = _struct_fqn(member, framework)
        if found:
            return found
    return None


def _struct_schema(types: dict, fqn: str, framework: str, seen: tuple[str, ...] = ()) -> dict:
    attributes: dict[str, bool] = {}
    blocks: dict[str, dict] = {}
    struct = types[fqn]
    properties = list(struct.get("properties", []))
    for parent in struct.get("interfaces", []):
        if parent in types:
            properties.extend(types[parent].get("properties", []))
    for prop in properties:
        docs = prop.get("docs", {})
        anchor = _ANCHOR.search(docs.get("summary", "") + " " + docs.get("remarks", "") + " ")
        if not anchor:
            continue
        name, required = anchor.group(1), not prop.get("optional", False)
        nested = _struct_fqn(prop["type"], framework)
        if nested and nested in types and nested not in seen:
            blocks[name] = {"required": required, **_struct_schema(types, nested, framework, (*seen, fqn))}
        elif docs.get("summary", "").endswith(" block."):
            # Deeply recursive blocks (e.g. WAF `statement`) are typed `any`: the name is known,
            # the content is not.
            blocks[name] = {"required": required, "opaque": True}
        else:
            attributes[name] = required
    return {"attributes": attributes, "blocks": blocks}


def extract_schema(source: SchemaSource) -> dict:
    """Build {"resource": {type: schema}, "data": {type: schema}} from the installed wheel."""
    with tarfile.open(_jsii_archive(source)) as archive:
        assembly = json.load(archive.extractfile("package/.jsii"))
    types = assembly["types"]
    schema: dict[str, dict] = {"provider_version": source.provider_version, "resource": {}, "data": {}}
    bases = (f"{source.framework}.TerraformResource", f"{source.framework}.TerraformDataSource")
    for cls in types.values():
        if cls.get("kind") != "class" or cls.get("base") not in bases:
            continue
        link = _DOC_LINK.search(cls.get("docs", {}).get("summary", ""))
        params = cls.get("initializer", {}).get("parameters", [])
        config = next((p["type"]["fqn"] for p in params if p["name"] == "config"), None)
        if not link or not config:
            continue
        kind = "resource" if link.group(1) == "resources" else "data"
        schema[kind][f"aws_{link.group(2)}"] = _struct_schema(types, config, source.framework)
    return schema


def load_schema(source: SchemaSource, cache_dir: Path | None = None) -> dict:
    """The extracted schema, from the cache when present (extraction takes ~20 s)."""
    cache_dir = cache_dir or Path(os.environ.get("AWS_SCHEMA_CACHE_DIR", tempfile.gettempdir()))
    cache = cache_dir / (
        f"aws-provider-schema-{source.provider_version}-{source.package}-{source.package_version}-v{SCHEMA_FORMAT}.json"
    )
    if cache.is_file():
        return json.loads(cache.read_text())
    schema = extract_schema(source)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(schema))
    partial.replace(cache)  # atomic, so parallel runs never read half a file
    return schema


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _content_of(block: Block) -> list[Block]:
    """Nested blocks as written, with `dynamic "x" { content {...} }` standing in for `x` blocks."""
    found = []
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            content = child.child("content") or Block(type="content", labels=[], line=child.line, file=child.file)
            found.append(
                Block(
                    type=child.labels[0],
                    labels=[],
                    line=child.line,
                    file=child.file,
                    attributes=content.attributes,
                    blocks=content.blocks,
                )
            )
        else:
            found.append(child)
    return found


def _check_body(block: Block, schema: dict, path: str, meta: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if schema.get("opaque"):
        return problems
    attributes, blocks = schema["attributes"], schema["blocks"]
    written_blocks = _content_of(block)
    for name, attribute in block.attributes.items():
        if name in meta or name in attributes or name in blocks:  # struct arguments may be written as `x = {..}`
            continue
        problems.append(Problem(block.where(attribute.line), f"{path}: unknown argument `{name}`"))
    for child in written_blocks:
        if child.type in meta:
            continue
        if child.type not in blocks:
            problems.append(Problem(child.where(), f"{path}: unknown block `{child.type}`"))
            continue
        problems.extend(_check_body(child, blocks[child.type], f"{path}.{child.type}", set()))
    present = set(block.attributes) | {child.type for child in written_blocks}
    for name, required in attributes.items():
        if required and name not in present:
            problems.append(Problem(block.where(), f"{path}: missing required argument `{name}`"))
    for name, nested in blocks.items():
        if nested["required"] and name not in present:
            problems.append(Problem(block.where(), f"{path}: missing required block `{name}`"))
    return problems


def check_blocks(blocks: list[Block], schema: dict) -> tuple[list[Problem], int]:
    """Problems in the `aws_*` resource and data blocks, and how many blocks were checked."""
    problems: list[Problem] = []
    checked = 0
    for block in blocks:
        if block.type not in ("resource", "data") or len(block.labels) != 2:
            continue
        type_name, name = block.labels
        if not type_name.startswith("aws_"):
            continue
        kind = "resource" if block.type == "resource" else "data"
        address = f"{'data.' if kind == 'data' else ''}{type_name}.{name}"
        checked += 1
        if type_name not in schema[kind]:
            version = schema["provider_version"]
            problems.append(
                Problem(block.where(), f"{address}: unknown {kind} type `{type_name}` in hashicorp/aws {version}")
            )
            continue
        problems.extend(_check_body(block, schema[kind][type_name], address, META_ARGUMENTS))
    return problems, checked
