"""Read YAML into plain Python data that remembers where every node stood.

The hot path of the whole tool. ruamel.yaml's C parser (libyaml) produces an event
stream that carries a mark for every node; building dicts and lists straight from it
costs about 1.5 times the bare parse, where the round-trip loader costs about 20 times.

Values are decoded the way Kubernetes decodes them (YAML 1.1 via go-yaml): ``yes``,
``on``, ``y`` are true, ``no``, ``off``, ``n`` false, ``~`` and the empty plain scalar
null. Mapping keys stay strings, because every Kubernetes field name is a string.

Hostile input is bounded: nesting deeper than :data:`MAX_DEPTH` and documents whose
aliases expand to more than :data:`MAX_NODES` nodes are errors, and aliases are never
copied, so a "billion laughs" document costs its size on disk, not its expansion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from _ruamel_yaml import (
    AliasEvent,
    CParser,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

MAX_DEPTH = 200
"""Kubernetes objects nest about 20 deep; CRD schemas rarely pass 60."""

MAX_NODES = 2_000_000
"""Nodes a document may expand to through aliases; the largest real CRDs hold ~100,000."""

Pos = tuple[int, int]
"""1-based (line, column)."""


class YMap(dict[str, Any]):
    """A mapping that knows its own position and the position of each of its keys."""

    __slots__ = ("column", "keypos", "line")

    line: int
    column: int
    keypos: dict[str, Pos]


class YSeq(list[Any]):
    """A sequence that knows its own position and the position of each item."""

    __slots__ = ("column", "itempos", "line")

    line: int
    column: int
    itempos: list[Pos]


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping; the last value is the one evaluated."""

    path: tuple[str | int, ...]
    first: Pos
    second: Pos


@dataclass
class Document:
    """One YAML document of a stream: its data and where it started."""

    data: Any
    index: int
    line: int
    duplicates: list[DuplicateKey] = field(default_factory=list)


@dataclass(frozen=True)
class ParseError:
    """A syntax or safety error at a 1-based line and column of the stream."""

    line: int
    column: int
    message: str


_BOOL_NULL: dict[str, Any] = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_BOOL_NULL.update(dict.fromkeys(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"], True))
_BOOL_NULL.update(dict.fromkeys(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"], False))
_MISSING = object()
_NUMBER_START = frozenset("0123456789+-.")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)$")
_HEX = re.compile(r"[-+]?0x[0-9a-fA-F_]+$")
_OCT = re.compile(r"[-+]?0[0-7_]+$")
# go-yaml also reads an exponent without a dot ("1e3") as a float.
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)$")
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_FLOAT = "tag:yaml.org,2002:float"


def decode_plain(text: str) -> Any:
    """Decode an untagged plain scalar as YAML 1.1 (go-yaml, hence Kubernetes) does."""
    found = _BOOL_NULL.get(text, _MISSING)
    if found is not _MISSING:
        return found
    if text[0] in _NUMBER_START:
        digits = text.replace("_", "")
        try:
            if _INT.match(text):
                return int(digits)
            if _HEX.match(text):
                return int(digits, 16)
            if _OCT.match(text):
                return int(digits, 8)
            if _FLOAT.match(text):
                return float(digits)
            if _INF.match(text):
                return float(text.replace(".", "", 1))  # Python spells YAML's ".inf" as "inf"
        except ValueError:  # only separators or a lone dot ("0x_", "._"): not a number
            return text
    return text


def _decode_tagged(text: str, tag: str) -> Any:
    """Honour the standard explicit tags; any other tag keeps the text as a string."""
    if tag in (_TAG_INT, _TAG_BOOL, _TAG_NULL, _TAG_FLOAT):
        value = decode_plain(text) if text else None
        expected: dict[str, type | tuple[type, ...]] = {_TAG_INT: int, _TAG_BOOL: bool, _TAG_FLOAT: (float, int)}
        if tag == _TAG_NULL or isinstance(value, expected[tag]):
            return value
    return text


class _Frame:
    """A container being built, with the key waiting for its value."""

    __slots__ = ("anchor", "key", "keypos", "merges", "node", "size")

    def __init__(self, node: YMap | YSeq, anchor: str | None) -> None:
        self.node = node
        self.key: Any = _MISSING
        self.keypos: Pos = (0, 0)
        self.merges: list[Any] | None = None
        self.size = 1
        self.anchor = anchor


class _Unsafe(Exception):
    """Raised inside the builder for input that exceeds a safety bound."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


def _merge(frame: _Frame) -> None:
    """Apply ``<<`` merge keys: explicit keys win, earlier merged maps win over later ones."""
    node = frame.node
    assert isinstance(node, YMap)
    for source in frame.merges or ():
        maps = source if isinstance(source, YSeq) else [source]
        for merged in maps:
            if not isinstance(merged, YMap):
                raise _Unsafe(node.line, node.column, "merge key '<<' must refer to a mapping")
            for key, value in merged.items():
                if key not in node:
                    node[key] = value
                    node.keypos[key] = merged.keypos.get(key, (merged.line, merged.column))


def _key_text(value: Any) -> str:
    """Kubernetes field names are strings; a non-string key is kept as its text."""
    if isinstance(value, str):
        return value
    if isinstance(value, (YMap, YSeq)):
        return repr(list(value) if isinstance(value, YSeq) else dict(value))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _path_of(stack: list[_Frame]) -> tuple[str | int, ...]:
    """The field path of the container on top of the stack, for duplicate-key reports."""
    path: list[str | int] = []
    for frame in stack[:-1]:
        if isinstance(frame.node, YMap):
            path.append(frame.key)
        else:
            path.append(len(frame.node))
    return tuple(path)


def _documents(data: bytes | str, line_offset: int, first_index: int) -> Iterator[Document]:
    """Build documents from one parser; exceptions propagate to :func:`parse_stream`.

    The loop keeps the current container in locals and takes a node's mark only where
    a position is stored (keys, sequence items, containers): mapping values need none,
    which saves a third of the attribute lookups on typical manifests.
    """
    parser = CParser(data)
    get_event = parser.get_event
    scalar_event, alias_event = ScalarEvent, AliasEvent
    mapping_start, sequence_start = MappingStartEvent, SequenceStartEvent
    mapping_end, sequence_end = MappingEndEvent, SequenceEndEvent
    bool_null, missing, decode = _BOOL_NULL, _MISSING, decode_plain
    first_line = line_offset + 1
    stack: list[_Frame] = []
    frame: _Frame | None = None
    in_map = False
    anchors: dict[str, tuple[Any, int]] = {}
    index = first_index
    doc: Document | None = None
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if in_map and frame.key is missing:  # type: ignore[union-attr]
                mark = event.start_mark
                # Interned: the same few hundred field names recur in every document.
                frame.key = intern(event.value)  # type: ignore[union-attr]
                frame.keypos = (mark.line + first_line, mark.column + 1)  # type: ignore[union-attr]
                if event.anchor is not None:
                    anchors[event.anchor] = (event.value, 1)
                continue
            value: Any = event.value
            if event.implicit[0]:
                found = bool_null.get(value, missing)
                value = decode(value) if found is missing else found
            elif event.tag is not None and event.tag.startswith("tag:yaml.org,2002:") and event.tag != _TAG_STR:
                value = _decode_tagged(value, event.tag)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            if in_map:
                key = frame.key  # type: ignore[union-attr]
                target = frame.node  # type: ignore[union-attr]
                if type(key) is str and key != "<<" and key not in target:  # the common case, inline
                    frame.key = missing  # type: ignore[union-attr]
                    target[key] = value  # type: ignore[call-overload]
                    target.keypos[key] = frame.keypos  # type: ignore[union-attr]
                else:
                    _store(frame, value, doc, stack)  # type: ignore[arg-type]
                frame.size += 1  # type: ignore[union-attr]
                continue
            if frame is None:
                doc.data = value  # type: ignore[union-attr]
                continue
            mark = event.start_mark
            frame.node.append(value)  # type: ignore[union-attr]
            frame.node.itempos.append((mark.line + first_line, mark.column + 1))  # type: ignore[union-attr]
            frame.size += 1
            continue
        if kind is mapping_start or kind is sequence_start:
            mark = event.start_mark
            node: YMap | YSeq
            if kind is mapping_start:
                node = YMap()
                node.keypos = {}
            else:
                node = YSeq()
                node.itempos = []
            node.line = mark.line + first_line
            node.column = mark.column + 1
            if len(stack) >= MAX_DEPTH:
                raise _Unsafe(node.line, node.column, f"nesting deeper than {MAX_DEPTH} levels")
            frame = _Frame(node, event.anchor)
            stack.append(frame)
            in_map = kind is mapping_start
            continue
        if kind is mapping_end or kind is sequence_end:
            done = stack.pop()
            if done.merges is not None:
                _merge(done)
            value = done.node
            size = done.size
            if done.anchor is not None:
                anchors[done.anchor] = (value, size)
            pos = (value.line, value.column)
            frame = stack[-1] if stack else None
            in_map = frame is not None and type(frame.node) is YMap
        elif kind is alias_event:
            mark = event.start_mark
            pos = (mark.line + first_line, mark.column + 1)
            if event.anchor not in anchors:
                raise _Unsafe(pos[0], pos[1], f"alias *{event.anchor} refers to no anchor before it")
            value, size = anchors[event.anchor]
            if in_map and frame.key is missing:  # type: ignore[union-attr]
                frame.key = _key_text(value)  # type: ignore[union-attr]
                frame.keypos = pos  # type: ignore[union-attr]
                continue
        elif kind is DocumentStartEvent:
            doc = Document(None, index, event.start_mark.line + first_line)
            anchors = {}
            continue
        elif kind is DocumentEndEvent:
            if doc is not None:
                index += 1
                yield doc
            doc = None
            continue
        elif kind is StreamEndEvent:
            return
        else:
            continue

        # A finished container or an alias becomes the value of its parent.
        if frame is None:
            doc.data = value  # type: ignore[union-attr]
            continue
        frame.size += size
        if frame.size > MAX_NODES:
            raise _Unsafe(pos[0], pos[1], f"document expands to more than {MAX_NODES:,} nodes through aliases")
        if not in_map:
            frame.node.append(value)  # type: ignore[union-attr]
            frame.node.itempos.append(pos)  # type: ignore[union-attr]
        elif frame.key is missing:  # a complex key (a mapping or sequence used as a key)
            frame.key = _key_text(value)
            frame.keypos = pos
        else:
            _store(frame, value, doc, stack)  # type: ignore[arg-type]


def _store(frame: _Frame, value: Any, doc: Document, stack: list[_Frame]) -> None:
    """Set the pending key of a mapping frame; merge keys and duplicates are noted."""
    key = frame.key
    frame.key = _MISSING
    if type(key) is not str:
        key = _key_text(key)
    if key == "<<":
        if frame.merges is None:
            frame.merges = []
        frame.merges.append(value)
        return
    node = frame.node
    if key in node:
        doc.duplicates.append(DuplicateKey((*_path_of(stack), key), node.keypos[key], frame.keypos))  # type: ignore[union-attr]
    node[key] = value  # type: ignore[call-overload]
    node.keypos[key] = frame.keypos  # type: ignore[union-attr]


_DOC_START = re.compile(rb"^---(?:[ \t].*)?$", re.MULTILINE)


def _resume_offset(data: bytes, error_line: int, after: int) -> tuple[int, int] | None:
    """Byte offset and 0-based line of the first ``---`` marker at or after ``error_line``
    and past byte ``after`` (libyaml often reports an unclosed document at the next marker).

    libyaml cannot continue after a syntax error, but documents are independent, so the
    stream is read again from the next document marker and later documents still count.
    """
    line = 0
    offset = 0
    for match in _DOC_START.finditer(data):
        line += data.count(b"\n", offset, match.start())
        offset = match.start()
        if line + 1 >= error_line and offset > after:
            return offset, line
    return None


def iter_stream(data: bytes) -> Iterator[Document | ParseError]:
    """Parse a (multi-document) YAML or JSON stream, one document at a time.

    Documents are yielded as they are built so that a caller can check and drop each
    one: a 50,000-document bundle never has to be held in memory at once. After a
    syntax error, reading resumes at the next ``---`` so that one broken document does
    not hide the others.
    """
    base = 0
    line_offset = 0
    count = 0
    while True:
        chunk = data[base:] if base else data
        try:
            for doc in _documents(chunk, line_offset, count):
                count += 1
                yield doc
            return
        except _Unsafe as unsafe:
            error = ParseError(unsafe.line, unsafe.column, unsafe.message)
        except Exception as exc:  # libyaml's scanner, parser and reader errors
            error = _syntax_error(exc, line_offset)
        yield error
        resume = _resume_offset(data, error.line, base)
        if resume is None:
            return
        base, line_offset = resume


def parse_stream(data: bytes) -> tuple[list[Document], list[ParseError]]:
    """All documents of a stream and the errors met, for small inputs read whole."""
    documents: list[Document] = []
    errors: list[ParseError] = []
    for item in iter_stream(data):
        (errors if isinstance(item, ParseError) else documents).append(item)  # type: ignore[arg-type]
    return documents, errors


def _syntax_error(exc: Exception, line_offset: int) -> ParseError:
    """Turn a ruamel/libyaml exception into a one-line message with its position."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if problem is None:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    elif context and context_mark is not None and context_mark is not mark:
        where = f"line {context_mark.line + 1 + line_offset}, column {context_mark.column + 1}"
        message = f"{problem} ({context} started at {where})"
    else:
        message = f"{problem} ({context})" if context else str(problem)
    if mark is None:
        return ParseError(line_offset + 1, 1, f"YAML syntax error: {message}")
    return ParseError(mark.line + 1 + line_offset, mark.column + 1, f"YAML syntax error: {message}")
