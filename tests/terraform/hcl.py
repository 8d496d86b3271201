"""Read Terraform files into small block trees that keep their line numbers.

python-hcl2's dict output drops positions, so the checks here walk its rule tree instead and keep,
for every block and attribute, the line it starts on. Values are python-hcl2's serialised form
(strings keep `${...}` for expressions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=True, with_comments=False)


@dataclass
class Attribute:
    value: object
    line: int


@dataclass
class Block:
    """One HCL block: `type "label" "label" { attributes; blocks }`."""

    type: str
    labels: list[str]
    line: int
    file: Path
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def where(self, line: int | None = None) -> str:
        return f"{self.file}:{line or self.line}"

    def value(self, name: str, default: object = None) -> object:
        attribute = self.attributes.get(name)
        return default if attribute is None else attribute.value

    def children(self, block_type: str) -> list[Block]:
        return [block for block in self.blocks if block.type == block_type]

    def child(self, block_type: str) -> Block | None:
        found = self.children(block_type)
        return found[0] if found else None


def _walk(body, file: Path, into: Block) -> None:
    for node in body.children:
        if isinstance(node, BlockRule):
            labels = [label.serialize(OPTIONS) for label in node.labels]
            block = Block(type=labels[0], labels=labels[1:], line=node._meta.line, file=file)
            _walk(node.body, file, block)
            into.blocks.append(block)
        elif isinstance(node, AttributeRule):
            name = node.identifier.serialize(OPTIONS)
            into.attributes[name] = Attribute(node.expression.serialize(OPTIONS), node._meta.line)


@cache
def parsed(text: str):
    """python-hcl2's rule tree of a file's text, parsed once per distinct text: the bakes share most
    of their files word for word, and parsing them is most of this layer's own time."""
    return hcl2.parses(text)


def parse_file(path: Path) -> Block:
    """The file as a pseudo-block whose children are its top-level blocks."""
    root = Block(type="<file>", labels=[], line=1, file=path)
    _walk(parsed(path.read_text()).body, path, root)
    return root


def parse_dir(directory: Path) -> list[Block]:
    """Top-level blocks of every `.tf` file in one Terraform module directory."""
    blocks: list[Block] = []
    for path in sorted(directory.glob("*.tf")):
        blocks.extend(parse_file(path).blocks)
    return blocks


def module_dirs(terraform_root: Path) -> list[Path]:
    """Every directory under `terraform/` that holds `.tf` files."""
    return sorted({path.parent for path in terraform_root.rglob("*.tf") if ".terraform" not in path.parts})
