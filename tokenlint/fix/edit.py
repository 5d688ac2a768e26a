"""Change one field of one resource in a manifest's text, and nothing else.

Formatters such as ruamel.yaml's round-trip dumper keep most of a file but not all of it
(indentation of sequences, line folding, quoting): peers' fix commands are known for
reordered keys and lost comments. So the text is edited by hand, one line replaced or one
line added, and ruamel.yaml's round-trip loader is used only to find where (it records
the line and column of every key) and then to prove the result: the edited file must
hold exactly the data of the original with that one field set, or it is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from tokenlint.model import FieldPath, ResourceRef

_SCALAR = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s#][^#\n\r]*?(?=\s*(?:#|$))")
"""One scalar on a line: double-quoted, single-quoted, or plain up to a comment or the end."""


class Refused(Exception):
    """The edit cannot be made by changing only the lines it must; the file stays as it is."""


@dataclass(frozen=True)
class TextEdit:
    """Lines ``first``..``last`` (1-based, inclusive) of the old text become ``text``.

    ``end_column`` is one past the last character of line ``last`` before its line
    break, for formats that address the replaced region by columns (SARIF).
    """

    first: int
    last: int
    text: str
    end_column: int


def _replacing(number: int, old: str, text: str) -> TextEdit:
    """An edit that replaces the 0-based line ``number``, whose text was ``old``."""
    return TextEdit(number + 1, number + 1, text, len(old.rstrip("\r\n")) + 1)


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _documents(text: str) -> list[Any]:
    try:
        return list(_loader().load_all(StringIO(text)))
    except YAMLError as error:
        # Duplicate keys land here too: which value Kubernetes keeps is a guess we do not make.
        raise Refused(f"the file cannot be edited safely: {str(error).splitlines()[0]}") from None


def _candidates(documents: list[Any]) -> Iterator[dict[str, Any]]:
    """Every object of the file: each document, and each item of a List document."""
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        items = doc.get("items")
        if isinstance(doc.get("kind"), str) and doc["kind"].endswith("List") and isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))
        else:
            yield doc


def _is(node: dict[str, Any], ref: ResourceRef) -> bool:
    meta = node.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace = meta.get("namespace")
    return (
        node.get("kind") == ref.kind
        and (meta.get("name") or meta.get("generateName")) == ref.name
        and (namespace is None or namespace == ref.namespace)
    )


def _target(documents: list[Any], ref: ResourceRef) -> Any:
    found = [node for node in _candidates(documents) if _is(node, ref)]
    if len(found) != 1:
        raise Refused(f"{ref.display()} is {'not' if not found else 'more than once'} in the file")
    return found[0]


def _check_plain(node: Any, where: str) -> None:
    """Anchors, aliases and merge keys make one edit change several places: refuse them."""
    anchor = getattr(node, "anchor", None)
    if anchor is not None and anchor.value is not None:
        raise Refused(f"{where} carries the anchor &{anchor.value}, so other places share it")
    if isinstance(node, CommentedMap) and node.merge:
        raise Refused(f"{where} takes keys through a merge key (<<)")


def _parent(root: CommentedMap, path: FieldPath) -> CommentedMap:
    node: Any = root
    _check_plain(node, "the resource")
    for depth, step in enumerate(path[:-1]):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise Refused(f"the file has no {'.'.join(map(str, path[: depth + 1]))}") from None
        _check_plain(node, ".".join(map(str, path[: depth + 1])))
    if not isinstance(node, CommentedMap):
        raise Refused(f"{'.'.join(map(str, path[:-1])) or 'the resource'} is not a mapping")
    if node.fa.flow_style():
        raise Refused("the field's mapping is written in flow style ({...}); edit it by hand")
    return node


def _scalar_text(value: bool | int | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise Refused("only booleans and integers are set by fixes")


def set_field(text: str, ref: ResourceRef, path: FieldPath, value: bool | int | str) -> TextEdit:
    """The one-line edit that sets ``path`` of ``ref`` to ``value`` in ``text``."""
    documents = _documents(text)
    parent = _parent(_target(documents, ref), path)
    key = path[-1]
    lines = text.splitlines(keepends=True)
    new = _scalar_text(value)
    if key in parent:
        line, column = parent.lc.value(key)
        _check_plain(parent[key], ".".join(map(str, path)))
        if isinstance(parent[key], (CommentedMap, CommentedSeq)):
            raise Refused(f"{key} holds a collection, not a value")
        old = lines[line]
        match = _SCALAR.match(old, column)
        if match is None:
            raise Refused(f"the value of {key} spans several lines")
        edit = _replacing(line, old, old[: match.start()] + new + old[match.end() :])
    else:
        edit = _append(lines, parent, f"{key}: {new}")
    _prove(text, documents, ref, path, value, edit)
    return edit


def _append(lines: list[str], mapping: CommentedMap, entry: str) -> TextEdit:
    """A new last key of a block mapping, at the indentation of its other keys.

    The mapping ends before the first line, after its last key, that is indented less
    than its keys, or as much but is not a sequence entry (block sequences may sit at the
    parent key's indentation); comments and blank lines there stay where they are.
    """
    keys = list(mapping.keys())
    if not keys:
        raise Refused("the mapping is empty")
    line, column = mapping.lc.key(keys[-1])
    last = line
    for number in range(line + 1, len(lines)):
        content = lines[number].strip()
        if not content or content.startswith("#"):
            continue
        indent = len(lines[number]) - len(lines[number].lstrip(" "))
        if indent < column or (indent == column and not content.startswith("-")) or content in ("---", "..."):
            break
        if content.startswith(("---", "...")) and indent == 0:
            break
        last = number
    eol = "\r\n" if lines[last].endswith("\r\n") else "\n"
    tail = lines[last] if lines[last].endswith(("\n", "\r")) else lines[last] + eol
    return _replacing(last, lines[last], f"{tail}{' ' * column}{entry}{eol}")


def apply(text: str, edits: list[TextEdit]) -> str:
    """``text`` with ``edits`` made, from the bottom up so that earlier line numbers hold."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.first, reverse=True):
        lines[edit.first - 1 : edit.last] = [edit.text]
    return "".join(lines)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _prove(text: str, before: list[Any], ref: ResourceRef, path: FieldPath, value: object, edit: TextEdit) -> None:
    """The edited text must hold exactly the original data with the one field set."""
    expected = _plain(before)
    node = _target(expected, ref)
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    if _plain(_documents(apply(text, [edit]))) != expected:
        raise Refused("the edit would change more than the field")
