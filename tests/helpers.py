"""Small functions several test modules use to set up their inputs."""

from __future__ import annotations

from pathlib import Path

from tokenlint.resources import FileOrigin, Resource, resources_of
from tokenlint.yamlread import parse_stream


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/name`` (creating ``folder``) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def resources_in(text: str) -> list[Resource]:
    """The resources of a YAML text, read as from a file ``t.yaml`` (which must parse)."""
    documents, errors = parse_stream(text.encode())
    assert not errors
    return [r for doc in documents for r in resources_of(doc, FileOrigin("t.yaml"), "default")]
