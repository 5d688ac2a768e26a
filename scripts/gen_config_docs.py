"""Write docs/config.md from the published configuration schema.

The schema (tokenlint/data/config.schema.json) is the one source of truth: editors
validate against it, tokenlint validates against it, and this page is generated from
its descriptions and examples. tests/test_config_docs.py fails when the page is stale.

Usage: python scripts/gen_config_docs.py [--check]
"""

from __future__ import annotations

import json
import sys
from typing import Any

from generated_page import ROOT, write_or_check

SCHEMA = ROOT / "tokenlint" / "data" / "config.schema.json"
PAGE = ROOT / "docs" / "config.md"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    target: dict[str, Any] = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}


def describe_type(schema: dict[str, Any], root: dict[str, Any]) -> str:
    """A schema's type in words: "list of severity (one of: info, low, ...)"."""
    schema = _resolve(schema, root)
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(describe_type(choice, root) for choice in schema["oneOf"])
    kind = schema.get("type")
    if kind == "array":
        return "list of " + describe_type(schema.get("items", {}), root)
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict) and values:
            return "mapping to " + describe_type(values, root)
        return "mapping"
    words = {"string": "text", "integer": "whole number", "boolean": "true or false"}.get(str(kind), str(kind))
    if "description" in schema and kind == "string" and "pattern" in schema:
        return f"{words}: {schema['description']}"
    return words


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML for the JSON values of schema examples."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines += [f"{pad}{key}:", *_yaml(item, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            nested = _yaml(item, indent + 2)
            lines.append(f"{pad}- {nested[0].strip()}" if len(nested) == 1 else f"{pad}-")
            lines += nested[1:] if len(nested) == 1 else nested
        return lines
    return [f"{pad}{json.dumps(value)}"]


def render(schema: dict[str, Any]) -> str:
    """The Markdown page for ``schema``."""
    properties: dict[str, Any] = schema["properties"]
    example = {name: prop["examples"][0] for name, prop in properties.items() if prop.get("examples")}
    out = [
        "# Configuration",
        "",
        "<!-- Generated from tokenlint/data/config.schema.json by scripts/gen_config_docs.py: edit those. -->",
        "",
        schema["description"],
        "",
        "The JSON Schema is published in the package as `tokenlint/data/config.schema.json`. Editors that use",
        "the YAML language server validate and complete the file when its first line names the schema:",
        "",
        "```yaml",
        "# yaml-language-server: $schema=path/to/tokenlint/data/config.schema.json",
        "```",
        "",
        "An invalid file stops the run with exit status 2 and one `file:line: message` per problem.",
        "",
        "## Example",
        "",
        "```yaml",
        *_yaml(example),
        "```",
        "",
        "In `pyproject.toml` the same settings go in a `[tool.tokenlint]` table.",
        "",
        "## Settings",
    ]
    for name, prop in properties.items():
        out += ["", f"### `{name}`", "", prop["description"], "", f"Type: {describe_type(prop, schema)}."]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(PAGE, render(json.loads(SCHEMA.read_text(encoding="utf-8"))), __file__, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
