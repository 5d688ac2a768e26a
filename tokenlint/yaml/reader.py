"""Read YAML into plain Python data that remembers where every node stood.

The hot path of the whole tool. ruamel.yaml's C parser (libyaml) produces an event
stream that carries a mark for every node; building dicts and lists straight from it
costs about 1.5 times the bare parse, where the round-trip loader costs about 20 times.
libyaml rejects some valid YAML that Kubernetes reads (a colon inside a plain scalar of
a flow collection: ``{name: system:auth-delegator}``); such a document alone is read
again by ruamel.yaml's pure-Python parser, into the same builder.

Values are decoded the way Kubernetes decodes them (YAML 1.1 via go-yaml): ``yes``,
``on``, ``y`` are true, ``no``, ``off``, ``n`` false, ``~`` and the empty plain scalar
null. Mapping keys stay strings, because every Kubernetes field name is a string.

Hostile input is bounded: nesting deeper than :data:`MAX_DEPTH` and documents whose
aliases expand to more than :data:`MAX_NODES` nodes are errors, and aliases are never
copied, so a "billion laughs" document costs its size on disk, not its expansion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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

SLOW_PARSE_BUDGET = 2 * 1024 * 1024
"""Characters of a stream the pure-Python parser may read (about two seconds): documents
that need it are hand-written and small, and a hostile file must not make a run crawl."""

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
    """A container being built, with the key waiting for its value.

    ``mapping`` or ``seq`` (whichever the node is) names the node with its exact type,
    so that the per-scalar loop needs no type check.
    """

    __slots__ = ("anchor", "is_map", "key", "keypos", "mapping", "merges", "node", "seq", "size")

    mapping: YMap
    seq: YSeq

    def __init__(self, node: YMap | YSeq, anchor: str | None) -> None:
        self.node = node
        if isinstance(node, YMap):
            self.mapping = node
            self.is_map = True
        else:
            self.seq = node
            self.is_map = False
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
    node = frame.mapping
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


class _Builder:
    """The work done once per container, alias or document, kept out of the per-scalar loop.

    The stack starts with a root frame, a sequence that receives the document's top-level
    value, so that every value has a parent frame and the loop never tests for None.
    ``end_index``, ``end_line`` and ``end_implicit`` remember where and how the last complete
    document ended: a document the C parser rejects is read again from there (see
    :func:`_reread`).
    """

    __slots__ = ("anchors", "doc", "end_implicit", "end_index", "end_line", "first_line", "index", "stack")

    def __init__(self, line_offset: int, first_index: int) -> None:
        self.first_line = line_offset + 1
        self.index = first_index
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.doc = Document(None, first_index, self.first_line)
        self.end_index = 0
        self.end_line = 0
        self.end_implicit = False

    def start_document(self, event: Any) -> _Frame:
        """A new document: fresh anchors and a root frame for its value."""
        self.doc = Document(None, self.index, event.start_mark.line + self.first_line)
        self.anchors = {}
        root = _Frame(YSeq(), None)
        root.seq.itempos = []
        self.stack = [root]
        return root

    def end_document(self, event: Any) -> Document:
        """The finished document, its value taken from the root frame."""
        doc = self.doc
        root = self.stack[0].seq
        doc.data = root[0] if root else None
        self.index += 1
        self.end_index = event.end_mark.index
        self.end_line = event.end_mark.line
        self.end_implicit = not event.explicit
        return doc

    def open(self, event: Any, is_map: bool) -> _Frame:
        """Push a new mapping or sequence; nesting is bounded by :data:`MAX_DEPTH`."""
        mark = event.start_mark
        node: YMap | YSeq
        if is_map:
            node = YMap()
            node.keypos = {}
        else:
            node = YSeq()
            node.itempos = []
        node.line = mark.line + self.first_line
        node.column = mark.column + 1
        if len(self.stack) > MAX_DEPTH:  # the root frame is not a level
            raise _Unsafe(node.line, node.column, f"nesting deeper than {MAX_DEPTH} levels")
        frame = _Frame(node, event.anchor)
        self.stack.append(frame)
        return frame

    def close(self) -> _Frame:
        """Pop the finished container, give it to its parent and return the parent."""
        done = self.stack.pop()
        if done.merges is not None:
            _merge(done)
        value = done.node
        if done.anchor is not None:
            self.anchors[done.anchor] = (value, done.size)
        parent = self.stack[-1]
        if parent.is_map or parent.size + done.size > MAX_NODES:
            self.attach(parent, value, (value.line, value.column), done.size)
        else:  # an item of a sequence, the common case, inline
            parent.size += done.size
            parent.seq.append(value)
            parent.seq.itempos.append((value.line, value.column))
        return parent

    def alias(self, event: Any, frame: _Frame) -> None:
        """An alias is the anchored value itself, never a copy; its size still counts."""
        mark = event.start_mark
        pos = (mark.line + self.first_line, mark.column + 1)
        if event.anchor not in self.anchors:
            raise _Unsafe(pos[0], pos[1], f"alias *{event.anchor} refers to no anchor before it")
        value, size = self.anchors[event.anchor]
        if frame.is_map and frame.key is _MISSING:
            frame.key = _key_text(value)
            frame.keypos = pos
            return
        self.attach(frame, value, pos, size)

    def attach(self, frame: _Frame, value: Any, pos: Pos, size: int) -> None:
        """Make a finished container or an alias the next value of ``frame``."""
        frame.size += size
        if frame.size > MAX_NODES:
            raise _Unsafe(pos[0], pos[1], f"document expands to more than {MAX_NODES:,} nodes through aliases")
        if not frame.is_map:
            frame.seq.append(value)
            frame.seq.itempos.append(pos)
        elif frame.key is _MISSING:  # a complex key (a mapping or sequence used as a key)
            frame.key = _key_text(value)
            frame.keypos = pos
        else:
            self.store(frame, value)

    def store(self, frame: _Frame, value: Any) -> None:
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
        node = frame.mapping
        if key in node:
            self.doc.duplicates.append(DuplicateKey((*self._path(), key), node.keypos[key], frame.keypos))
        node[key] = value
        node.keypos[key] = frame.keypos

    def _path(self) -> tuple[str | int, ...]:
        """The field path of the container on top of the stack, for duplicate-key reports."""
        return tuple(frame.key if frame.is_map else len(frame.seq) for frame in self.stack[1:-1])


def _documents(get_event: Callable[[], Any], build: _Builder) -> Iterator[Document]:
    """Build documents from an event source; exceptions propagate to :func:`iter_stream`.

    Only scalars, by far the most frequent events, are handled inline, with the current
    container in locals; a node's mark is taken only where a position is stored (keys,
    sequence items, containers): mapping values need none, which saves a third of the
    attribute lookups on typical manifests.
    """
    scalar_event, alias_event = ScalarEvent, AliasEvent
    mapping_start, sequence_start = MappingStartEvent, SequenceStartEvent
    mapping_end, sequence_end = MappingEndEvent, SequenceEndEvent
    bool_null, missing, decode = _BOOL_NULL, _MISSING, decode_plain
    first_line = build.first_line
    anchors = build.anchors
    frame = _Frame(YSeq(), None)  # replaced at the first document start
    in_map = False
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if in_map and frame.key is missing:
                mark = event.start_mark
                # Interned: the same few hundred field names recur in every document.
                frame.key = intern(event.value)
                frame.keypos = (mark.line + first_line, mark.column + 1)
                if event.anchor is not None:
                    anchors[event.anchor] = (event.value, 1)
                continue
            value: Any = event.value
            if event.implicit[0]:
                found = bool_null.get(value, missing)
                if found is missing:
                    found = decode(value)
                if found is not value and event.tag is None:  # "! 12" is the string "12"
                    value = found
            elif event.tag is not None and event.tag.startswith("tag:yaml.org,2002:") and event.tag != _TAG_STR:
                value = _decode_tagged(value, event.tag)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            if in_map:
                key = frame.key
                target = frame.mapping
                if type(key) is str and key != "<<" and key not in target:  # the common case, inline
                    frame.key = missing
                    target[key] = value
                    target.keypos[key] = frame.keypos
                else:
                    build.store(frame, value)
                frame.size += 1
                continue
            mark = event.start_mark
            frame.seq.append(value)
            frame.seq.itempos.append((mark.line + first_line, mark.column + 1))
            frame.size += 1
        elif kind is mapping_start or kind is sequence_start:
            in_map = kind is mapping_start
            frame = build.open(event, in_map)
        elif kind is mapping_end or kind is sequence_end:
            frame = build.close()
            in_map = frame.is_map
        elif kind is alias_event:
            build.alias(event, frame)
        elif kind is DocumentStartEvent:
            frame = build.start_document(event)
            anchors = build.anchors
            in_map = False
        elif kind is DocumentEndEvent:
            yield build.end_document(event)
        elif kind is StreamEndEvent:
            return


_DOC_START = re.compile(rb"^---(?:[ \t].*)?$", re.MULTILINE)


def _resume_offset(data: bytes, error_line: int, after: int, after_line: int) -> tuple[int, int] | None:
    """Byte offset and 0-based line of the first ``---`` marker at or after ``error_line``
    and past byte ``after`` (libyaml often reports an unclosed document at the next marker).
    ``after`` starts a line, the 0-based line ``after_line``: the search starts there.

    libyaml cannot continue after a syntax error, but documents are independent, so the
    stream is read again from the next document marker and later documents still count.
    """
    line = after_line
    offset = after
    for match in _DOC_START.finditer(data, after):
        line += data.count(b"\n", offset, match.start())
        offset = match.start()
        if line + 1 >= error_line and offset > after:
            return offset, line
    return None


class _Resume(Exception):
    """The slow parser reached the start of a document the C parser can read again."""

    def __init__(self, index: int, line: int) -> None:
        super().__init__(index, line)
        self.index = index
        self.line = line


@dataclass
class _Reread:
    """What reading a rejected document again with the pure-Python parser gave."""

    documents: list[Document]
    error: ParseError | None
    """The error to report (the C parser's when the slow one fails too), if any."""
    resume: tuple[int, int] | None = None
    """Byte offset in the chunk and line offset where the C parser takes over again."""
    read: int = 0
    """Characters the slow parser read, counted against :data:`SLOW_PARSE_BUDGET`."""


def _reread(chunk: bytes, build: _Builder, error: ParseError, line_offset: int, budget: int) -> _Reread:
    """Read the document the C parser rejected with ruamel.yaml's pure-Python parser.

    libyaml, as bundled with ruamel.yaml, rejects valid YAML that Kubernetes reads, most
    often a plain scalar holding a colon inside a flow collection
    (``{name: system:auth-delegator}``, ``[fd00:ec2::254/128]``). The pure-Python parser
    reads it, about ten times slower, so it reads only from the end of the last document
    the C parser finished to the first document that starts after the error line, and at
    most ``budget`` characters; the C parser then takes over again. Both feed the same
    builder, hence the same positions and the same hostile-input bounds.
    """
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:  # another encoding: only the C parser reads it
        return _Reread([], error)
    start = build.end_index
    window = text[start : start + budget]
    # Lines before the window shift the slow parser's marks.
    window_offset = line_offset + build.end_line
    stop_line = error.line - 1 - window_offset

    from ruamel.yaml import YAML  # loaded only when a document needs it

    events = YAML(typ="safe", pure=True).parse(window).__next__

    implicit_end = build.end_implicit

    def get_event() -> Any:
        nonlocal implicit_end
        event = events()
        kind = type(event)
        if kind is DocumentStartEvent:
            if event.start_mark.line > stop_line:
                raise _Resume(event.start_mark.index, event.start_mark.line)
            if implicit_end and not event.explicit:
                # Only '---' or '...' separates documents; ruamel.yaml's parser misreads
                # a zero-indented block scalar ("--- >" then text) as two documents.
                raise ValueError("a bare document follows a document without an end marker")
        elif kind is DocumentEndEvent:
            implicit_end = not event.explicit
        return event

    documents: list[Document] = []
    try:
        documents.extend(_documents(get_event, _Builder(window_offset, build.index)))
    except _Resume as resume:
        offset = len(text[: start + resume.index].encode("utf-8"))
        return _Reread(documents, None, (offset, window_offset + resume.line), resume.index)
    except _Unsafe as unsafe:
        return _Reread(documents, ParseError(unsafe.line, unsafe.column, unsafe.message), read=len(window))
    except Exception as exc:  # the slow parser rejects it too
        failed = _syntax_error(exc, window_offset) if documents else error
    else:
        if start + budget >= len(text):
            return _Reread(documents, None, read=len(window))
        # The window ended inside the last document: what was read of it is not all of it.
        del documents[-1:]
        failed = error
    if start + budget < len(text):
        note = f" (a document only the full YAML parser reads is limited to {SLOW_PARSE_BUDGET:,} characters a file)"
        failed = ParseError(failed.line, failed.column, failed.message + note)
    return _Reread(documents, failed, read=len(window))


def iter_stream(data: bytes) -> Iterator[Document | ParseError]:
    """Parse a (multi-document) YAML or JSON stream, one document at a time.

    Documents are yielded as they are built so that a caller can check and drop each
    one: a 50,000-document bundle never has to be held in memory at once. A document
    the C parser rejects is read again by the pure-Python parser (:func:`_reread`). After
    a syntax error, reading resumes at the next ``---`` so that one broken document does
    not hide the others.
    """
    base = 0
    line_offset = 0
    count = 0
    budget = SLOW_PARSE_BUDGET
    while True:
        chunk = data[base:] if base else data
        build = _Builder(line_offset, count)
        error: ParseError | None
        try:
            yield from _documents(CParser(chunk).get_event, build)
            return
        except _Unsafe as unsafe:
            error = ParseError(unsafe.line, unsafe.column, unsafe.message)
            count = build.index
        except Exception as exc:  # libyaml's scanner, parser and reader errors
            reread = _reread(chunk, build, _syntax_error(exc, line_offset), line_offset, budget)
            budget = max(budget - reread.read, 0)
            yield from reread.documents
            count = build.index + len(reread.documents)
            error = reread.error
            if error is None:
                if reread.resume is None:
                    return
                base, line_offset = base + reread.resume[0], reread.resume[1]
                continue
        yield error
        resume = _resume_offset(data, error.line, base, line_offset)
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
