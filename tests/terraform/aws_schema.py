"""Check `aws_*` resources and data sources against the hashicorp/aws provider schema, offline.

`terraform validate` needs the provider binary from the registry, which these machines cannot
reach. The same schema ships inside the `cdktf-cdktf-provider-aws` wheel as a jsii assembly: each
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

CDKTF_PACKAGE = "cdktf_cdktf_provider_aws"
CDKTF_VERSION = "21.22.1"
PROVIDER_VERSION = "6.25.0"
SCHEMA_FORMAT = 2  # bump when the extracted shape changes, so stale caches are not read

# Arguments Terraform itself gives every resource / data block, not the provider.
META_ARGUMENTS = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}

_DOC_LINK = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+)\}?")
_ANCHOR = re.compile(r"#([a-z0-9_]+) ")


# ---------------------------------------------------------------- extraction from the jsii assembly


def _jsii_archive() -> Path:
    spec = importlib.util.find_spec(CDKTF_PACKAGE)  # locates the package without importing jsii
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{CDKTF_PACKAGE}=={CDKTF_VERSION} is not installed (see requirements/terraform.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "_jsii" / f"provider-aws@{CDKTF_VERSION}.jsii.tgz"


def _struct_fqn(type_ref: dict) -> str | None:
    """The provider struct a property type refers to, through unions and collections."""
    if "fqn" in type_ref:
        return None if type_ref["fqn"].startswith("cdktf.") else type_ref["fqn"]
    if "collection" in type_ref:
        return _struct_fqn(type_ref["collection"]["elementtype"])
    for member in type_ref.get("union", {}).get("types", []):
        found = _struct_fqn(member)
        if found:
            return found
    return None


def _struct_schema(types: dict, fqn: str, seen: tuple[str, ...] = ()) -> dict:
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
        nested = _struct_fqn(prop["type"])
        if nested and nested in types and nested not in seen:
            blocks[name] = {"required": required, **_struct_schema(types, nested, (*seen, fqn))}
        elif docs.get("summary", "").endswith(" block."):
            # Deeply recursive blocks (e.g. WAF `statement`) are typed `any`: the name is known,
            # the content is not.
            blocks[name] = {"required": required, "opaque": True}
        else:
            attributes[name] = required
    return {"attributes": attributes, "blocks": blocks}


def extract_schema() -> dict:
    """Build {"resource": {type: schema}, "data": {type: schema}} from the installed wheel."""
    with tarfile.open(_jsii_archive()) as archive:
        assembly = json.load(archive.extractfile("package/.jsii"))
    types = assembly["types"]
    schema: dict[str, dict] = {"provider_version": PROVIDER_VERSION, "resource": {}, "data": {}}
    for cls in types.values():
        if cls.get("kind") != "class" or cls.get("base") not in (
            "cdktf.TerraformResource",
            "cdktf.TerraformDataSource",
        ):
            continue
        link = _DOC_LINK.search(cls.get("docs", {}).get("summary", ""))
        params = cls.get("initializer", {}).get("parameters", [])
        config = next((p["type"]["fqn"] for p in params if p["name"] == "config"), None)
        if not link or not config:
            continue
        kind = "resource" if link.group(1) == "resources" else "data"
        schema[kind][f"aws_{link.group(2)}"] = _struct_schema(types, config)
    return schema


def load_schema(cache_dir: Path | None = None) -> dict:
    """The extracted schema, from the cache when present (extraction takes ~20 s)."""
    cache_dir = cache_dir or Path(os.environ.get("AWS_SCHEMA_CACHE_DIR", tempfile.gettempdir()))
    cache = cache_dir / f"aws-provider-schema-{PROVIDER_VERSION}-cdktf-{CDKTF_VERSION}-v{SCHEMA_FORMAT}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    schema = extract_schema()
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
            problems.append(
                Problem(
                    block.where(), f"{address}: unknown {kind} type `{type_name}` in hashicorp/aws {PROVIDER_VERSION}"
                )
            )
            continue
        problems.extend(_check_body(block, schema[kind][type_name], address, META_ARGUMENTS))
    return problems, checked
