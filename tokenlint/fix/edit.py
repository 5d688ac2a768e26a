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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from tokenlint.model import FieldPath, ResourceRef, SetField

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


_MARKER = re.compile(r"(?:---|\.\.\.)(?:[ \t]|\r?\n|$)")
"""A document marker at the start of a line: YAML forbids it inside any content."""


class _Stream:
    """A file's lines and its documents, each parsed only when it may hold what is looked for.

    The round-trip loader is pure Python, some fifty times slower than the C parser the
    linter uses, and a rendered chart holds hundreds of documents: parsing only the
    documents whose text names the resource keeps ``fix`` on a large tree in seconds.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        starts = [0] + [i for i, line in enumerate(self.lines) if i and _MARKER.match(line)]
        self.spans = list(zip(starts, [*starts[1:], len(self.lines)], strict=True))
        self._parsed: dict[int, list[Any]] = {}

    def documents(self, span: int) -> list[Any]:
        if span not in self._parsed:
            first, end = self.spans[span]
            self._parsed[span] = _documents("".join(self.lines[first:end]))
        return self._parsed[span]

    def find(self, ref: ResourceRef) -> tuple[int, Any]:
        """The span holding ``ref`` and its object; it must be there exactly once."""
        found: list[tuple[int, Any]] = []
        for span, (first, end) in enumerate(self.spans):
            text = "".join(self.lines[first:end])
            if ref.name in text and ref.kind in text:
                found.extend((span, node) for node in _candidates(self.documents(span)) if _is(node, ref))
        if len(found) != 1:
            raise Refused(f"{ref.display()} is {'not' if not found else 'more than once'} in the file")
        return found[0]


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


def _target(documents: list[Any], ref: ResourceRef) -> Any:
    """The one object of ``documents`` that is ``ref`` (``_Stream.find`` made sure of one)."""
    return next(node for node in _candidates(documents) if _is(node, ref))


def _is(node: dict[str, Any], ref: ResourceRef) -> bool:
    meta = node.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace = meta.get("namespace")
    return (
        node.get("kind") == ref.kind
        and (meta.get("name") or meta.get("generateName")) == ref.name
        and (namespace is None or namespace == ref.namespace)
    )


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


def field_edits(text: str, changes: Sequence[SetField]) -> list[TextEdit]:
    """One edit per change, all against ``text``, proven together."""
    stream = _Stream(text)
    located = [(stream.find(change.resource), change) for change in changes]
    edits = [_edit(stream, span, node, change) for (span, node), change in located]
    if len({edit.first for edit in edits}) < len(edits):
        raise _SameLine
    for span in {span for (span, _), _ in located}:
        _prove(stream, span, [c for (s, _), c in located if s == span], edits)
    return edits


def set_fields(text: str, changes: Sequence[SetField]) -> str:
    """``text`` with every change made; changes that meet on one line are made one after another."""
    try:
        return apply(text, field_edits(text, changes))
    except _SameLine:
        for change in changes:
            text = apply(text, field_edits(text, [change]))
        return text


class _SameLine(Refused):
    """Two edits of one pass touch one line; they are made one at a time instead."""


def _edit(stream: _Stream, span: int, root: CommentedMap, change: SetField) -> TextEdit:
    path = change.path
    parent = _parent(root, path)
    key = path[-1]
    new = _scalar_text(change.value)
    first, end = stream.spans[span]
    if key not in parent:
        return _append(stream.lines, first, end, parent, f"{key}: {new}")
    line, column = parent.lc.value(key)
    _check_plain(parent[key], ".".join(map(str, path)))
    if isinstance(parent[key], (CommentedMap, CommentedSeq)):
        raise Refused(f"{key} holds a collection, not a value")
    old = stream.lines[first + line]
    match = _SCALAR.match(old, column)
    if match is None:
        raise Refused(f"the value of {key} spans several lines")
    return _replacing(first + line, old, old[: match.start()] + new + old[match.end() :])


def _append(lines: list[str], first: int, end: int, mapping: CommentedMap, entry: str) -> TextEdit:
    """A new last key of a block mapping, at the indentation of its other keys.

    The mapping ends before the first line, after its last key, that is indented less
    than its keys, or as much but is not a sequence entry (block sequences may sit at the
    parent key's indentation); comments and blank lines there stay where they are.
    """
    keys = list(mapping.keys())
    if not keys:
        raise Refused("the mapping is empty")
    line, column = mapping.lc.key(keys[-1])
    last = first + line
    for number in range(last + 1, end):
        content = lines[number].strip()
        if not content or content.startswith("#"):
            continue
        indent = len(lines[number]) - len(lines[number].lstrip(" "))
        if indent < column or (indent == column and not content.startswith("-")):
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


def _prove(stream: _Stream, span: int, changes: Sequence[SetField], edits: list[TextEdit]) -> None:
    """The edited document must hold exactly its original data with the fields set.

    Edits replace whole lines inside one document, so the other documents of the file
    cannot change; this document is read back and compared.
    """
    expected = _plain(stream.documents(span))
    for change in changes:
        node = _target(expected, change.resource)
        for step in change.path[:-1]:
            node = node[step]
        node[change.path[-1]] = change.value
    first, end = stream.spans[span]
    mine = [replace(e, first=e.first - first, last=e.last - first) for e in edits if first < e.first <= end]
    if _plain(_documents(apply("".join(stream.lines[first:end]), mine))) != expected:
        raise Refused("the edit would change more than the field")
