"""Map lines of rendered Helm output back to lines of the template that produced them.

Helm's output is not what users edit, so every finding on a rendered resource must
point into the template. Two techniques, the first preferred:

* **Line markers.** Before rendering, a copy of each template gets a YAML comment
  ``#tl@<file>:<line>`` in front of every line that starts a mapping key or a list
  item. Helm copies comments through verbatim, so after rendering, the line that
  follows a marker is the output of that template line. The marker names its file,
  so text pulled in from another template (``include`` of a template path) is never
  attributed to the wrong file. Markers are only trusted when the marked render,
  with marker lines removed, has the same lines as the real render (a line may differ
  in its value only, e.g. a ``sha256sum`` checksum of an included file).
* **Key-path search.** When markers cannot be trusted for a template, the key path is
  searched in the template source by indentation. This is a heuristic, used only as a
  fallback.

Nothing here runs Helm; :mod:`tokenlint.inputs.helm.render` does, and builds locators from these
pieces.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tokenlint.model import FieldPath

LocateResult = tuple[int | None, str | None]

#: A marker line as it appears in rendered output: ``#tl@<file id>:<template line>``.
MARKER_RE = re.compile(r"^[ \t]*#tl@(\d+):(\d+)[ \t]*$")
#: Any leftover marker text (glued to another line by whitespace trimming).
_MARKER_ANYWHERE = re.compile(r"#tl@\d+:\d+")

# A template line worth marking starts, after indentation, with a list item ("- ")
# or a plain or quoted mapping key followed by ":" and a space or end of line.
_KEY_OR_ITEM = re.compile(
    r"""^[ \t]*(?:-(?:[ \t]|$)|(?:[A-Za-z0-9_./-][^:#{}\[\]]*?|"[^"\n]*"|'[^'\n]*')[ \t]*:(?:[ \t]|$))"""
)
_DOC_SEP = re.compile(r"^---(?:[ \t]|$)")
_KIND_LINE = re.compile(r"^kind:[ \t]*['\"]?([A-Za-z0-9]+)['\"]?[ \t]*(?:#.*)?$")
_BLOCK_WORDS = frozenset({"if", "range", "with", "define", "block"})
_ACTION_WORD = re.compile(r"\{\{-?\s*(/\*)?\s*([A-Za-z]*)")

NOTE_KIND_FALLBACK = "exact line of {key} not found in template; showing the line of kind:"
NOTE_UNRESOLVED = "line could not be resolved"
NOTE_INCLUDE = "resource produced by a named template; showing the line that includes it"
NOTE_ENCLOSING = "exact line of {key} not found in template; showing the line that writes the block holding it"


def _scan_actions(line: str, state: _ScanState) -> None:
    """Advance the action/define tracking state over one template line.

    Tracks whether the line ends inside an unfinished ``{{ ... }}`` action (a marker
    there would be a template syntax error) and the nesting of block actions, to know
    when we are inside a ``define`` (its body is rendered wherever it is included, so
    markers there would claim lines of the wrong place).
    """
    i = 0
    n = len(line)
    while i < n:
        if not state.in_action:
            j = line.find("{{", i)
            if j < 0:
                return
            m = _ACTION_WORD.match(line, j)
            word = m.group(2) if m and not m.group(1) else ""
            if m and m.group(1):
                state.in_comment = True
            if word in _BLOCK_WORDS:
                state.blocks.append(word)
            elif word == "end" and state.blocks:
                state.blocks.pop()
            state.in_action = True
            i = j + 2
            continue
        ch = line[i]
        if state.quote:
            if ch == "\\" and state.quote == '"':
                i += 2
                continue
            if ch == state.quote:
                state.quote = ""
            i += 1
            continue
        if state.in_comment:
            k = line.find("*/", i)
            if k < 0:
                return
            state.in_comment = False
            i = k + 2
            continue
        if ch in '"`':
            state.quote = ch
        elif line.startswith("}}", i):
            state.in_action = False
            i += 2
            continue
        i += 1


@dataclass
class _ScanState:
    in_action: bool = False
    in_comment: bool = False
    quote: str = ""
    blocks: list[str] = field(default_factory=list)


def insert_markers(source: str, file_id: int) -> str:
    """Return ``source`` with a marker comment before each key or list-item line.

    Lines inside multi-line actions and inside ``define`` bodies are left alone. The
    marker takes the indentation of the line it precedes, so it is a plain YAML comment
    wherever it lands.
    """
    out: list[str] = []
    state = _ScanState()
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        inside_define = "define" in state.blocks or "block" in state.blocks
        if not state.in_action and not inside_define and _KEY_OR_ITEM.match(line):
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            out.append(f"{indent}#tl@{file_id}:{number}\n")
        out.append(line)
        _scan_actions(line.rstrip("\n"), state)
    return "".join(out)


@dataclass(frozen=True)
class MarkerRead:
    """The marked render of one template read back.

    ``text`` is the render with marker lines removed; ``lines`` maps a 1-based line of
    ``text`` to the template line that produced it (only lines that directly follow a
    marker of this template's own file id).
    """

    text: str
    lines: dict[int, int]
    clean: bool  # False when marker text was glued to other text by trimming


def read_markers(marked: str, file_id: int) -> MarkerRead:
    """Strip marker lines from a marked render and record where each line came from."""
    kept: list[str] = []
    lines: dict[int, int] = {}
    pending: int | None = None
    for line in marked.splitlines(keepends=True):
        m = MARKER_RE.match(line.rstrip("\r\n"))
        if m:
            pending = int(m.group(2)) if int(m.group(1)) == file_id else None
            continue
        kept.append(line)
        if pending is not None:
            lines[len(kept)] = pending
        pending = None
    text = "".join(kept)
    return MarkerRead(text, lines, _MARKER_ANYWHERE.search(text) is None)


def same_shape(marked_text: str, real_text: str) -> bool:
    """Whether a marker-stripped render lines up line for line with the real render.

    Lines may differ after their first ``:`` only (a checksum of an included template
    that carried markers); anything else means the markers changed the render and must
    not be trusted.
    """
    if marked_text == real_text:
        return True
    a = marked_text.splitlines()
    b = real_text.splitlines()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x != y:
            cx, cy = x.find(":"), y.find(":")
            if cx < 0 or cx != cy or x[:cx] != y[:cy] or _MARKER_ANYWHERE.search(x):
                return False
    return True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _key_of(line: str) -> str | None:
    """The mapping key a template or YAML line starts with, after any ``- `` prefixes."""
    s = line.strip()
    while s.startswith("- "):
        s = s[2:].lstrip()
    m = re.match(r"""^("[^"]*"|'[^']*'|[^:#{}\[\]"'\s][^:#{}\[\]]*?)[ \t]*:(?:[ \t]|$)""", s)
    if not m:
        return None
    key = m.group(1)
    if key[:1] in "\"'" and len(key) >= 2:
        key = key[1:-1]
    return key


def key_path_search(lines: Sequence[str], start: int, end: int, path: FieldPath) -> int | None:
    """Find the line (0-based index) of ``path``'s last key in ``lines[start:end]``.

    Each string key is searched after the previous one, deeper indented than it; list
    indices are skipped (the next key search covers the item). Returns None when any key
    is missing, so callers fall back rather than guess.
    """
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return None
    pos = start
    parent_indent = -1
    found: int | None = None
    for key in keys:
        found = None
        for i in range(pos, end):
            line = lines[i]
            if not line.strip() or line.lstrip().startswith(("#", "{{")):
                continue
            ind = _indent(line)
            # A list may sit at its parent key's own indentation ("rules:\n- verbs: ...").
            child = ind > parent_indent or (ind == parent_indent and line.lstrip(" ").startswith("- "))
            if not child and _key_of(line) is not None:
                break  # left the parent's block without finding the key
            if child and _key_of(line) == key:
                found = i
                break
        if found is None:
            return None
        # For "- key:" the children are indented past the key, not the dash.
        stripped = lines[found].lstrip(" ")
        dash = 0
        while stripped.startswith("- "):
            dash += 2
            stripped = stripped[2:].lstrip(" ")
        parent_indent = _indent(lines[found]) + dash
        pos = found + 1
    return found


@dataclass(frozen=True)
class _TemplateDoc:
    start: int  # 0-based first line
    end: int  # exclusive
    kind: str | None
    kind_line: int | None  # 0-based


def _split_docs(lines: Sequence[str]) -> list[_TemplateDoc]:
    docs: list[_TemplateDoc] = []
    start = 0
    for i in range(len(lines) + 1):
        if i == len(lines) or _DOC_SEP.match(lines[i]):
            kind: str | None = None
            kind_line: int | None = None
            for j in range(start, i):
                m = _KIND_LINE.match(lines[j])
                if m:
                    kind, kind_line = m.group(1), j
                    break
            if i > start or i < len(lines):
                docs.append(_TemplateDoc(start, i, kind, kind_line))
            start = i + 1
    return docs


_INCLUDE_LINE = re.compile(r"^\{\{-?\s*(?:include|template)\s")


class Locator:
    """Resolve rendered lines of one template's output to lines of its source.

    Built from the real rendered text, the template source (None when unreadable) and
    the marker map (None when markers could not be trusted for this template).
    """

    def __init__(self, rendered: str, source: str | None, markers: dict[int, int] | None) -> None:
        self._markers = markers
        self._source_lines = source.splitlines() if source is not None else None
        rlines = rendered.splitlines()
        self._rlines = rlines
        self._rdocs = _split_docs(rlines)
        self._rdoc_starts = [d.start for d in self._rdocs]
        self._tdocs = _split_docs(self._source_lines) if self._source_lines is not None else []

    def _rdoc_index(self, rline: int) -> int | None:
        if not self._rdocs:
            return None
        idx = bisect.bisect_right(self._rdoc_starts, rline - 1) - 1
        return idx if idx >= 0 else None

    def _kind_template_line(self, doc_idx: int) -> tuple[int | None, str | None]:
        """Template line (1-based) of the ``kind:`` of rendered document ``doc_idx``."""
        rdoc = self._rdocs[doc_idx]
        if self._markers is not None and rdoc.kind_line is not None:
            line = self._markers.get(rdoc.kind_line + 1)
            if line is not None:
                return line, None
        tdoc = self._template_doc(doc_idx)
        if tdoc is not None and tdoc.kind_line is not None:
            return tdoc.kind_line + 1, None
        include = self._single_include_line()
        if include is not None:
            return include, NOTE_INCLUDE
        return None, NOTE_UNRESOLVED

    def _template_doc(self, doc_idx: int) -> _TemplateDoc | None:
        """The template document that most plausibly produced rendered doc ``doc_idx``.

        Matched by kind: the n-th rendered document of kind K maps to the n-th template
        document that spells ``kind: K`` literally (cycling, for documents in a range).
        """
        kind = self._rdocs[doc_idx].kind
        if kind is None:
            return None
        candidates = [d for d in self._tdocs if d.kind == kind]
        if not candidates:
            return None
        nth = sum(1 for d in self._rdocs[:doc_idx] if d.kind == kind)
        return candidates[nth % len(candidates)]

    def _single_include_line(self) -> int | None:
        if self._source_lines is None:
            return None
        hits = [i for i, ln in enumerate(self._source_lines) if _INCLUDE_LINE.match(ln)]
        return hits[0] + 1 if len(hits) == 1 else None

    def _enclosing(self, rline: int, doc_start: int) -> int | None:
        """Template line of the closest key above ``rline`` that holds it and has a marker.

        A key that a named template or a ``toYaml`` block wrote has no marker, but the
        key holding it usually has: ``spec: {{- include "app.pod" . | nindent 6 }}`` is
        the template line that wrote the whole pod spec. Ancestors are the lines above
        with less indentation (or the same, for a ``- `` item under its key).
        """
        assert self._markers is not None
        indent, item = _indent(self._rlines[rline - 1]), self._rlines[rline - 1].lstrip(" ").startswith("- ")
        for r in range(rline - 1, doc_start, -1):
            text = self._rlines[r - 1]
            stripped = text.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            ind = _indent(text)
            if ind < indent or (item and ind == indent and not stripped.startswith("- ")):
                line = self._markers.get(r)
                if line is not None:
                    return line
                indent, item = ind, stripped.startswith("- ")
        return None

    def locate(self, rline: int, path: FieldPath) -> LocateResult:
        """See :class:`tokenlint.inputs.helm.render.RenderedTemplate` ``locate``."""
        if path and self._markers is not None:
            line = self._markers.get(rline)
            if line is not None:
                return line, None
        doc_idx = self._rdoc_index(rline)
        if doc_idx is None:
            return None, NOTE_UNRESOLVED
        if path and self._markers is not None:
            enclosing = self._enclosing(rline, self._rdocs[doc_idx].start)
            if enclosing is not None:
                key = next((p for p in reversed(path) if isinstance(p, str)), "the field")
                return enclosing, NOTE_ENCLOSING.format(key=key)
        if path and self._markers is None and self._source_lines is not None:
            tdoc = self._template_doc(doc_idx)
            if tdoc is not None:
                hit = key_path_search(self._source_lines, tdoc.start, tdoc.end, path)
                if hit is not None:
                    return hit + 1, None
        line, note = self._kind_template_line(doc_idx)
        if line is None or not path:
            return line, note
        if note is None:
            key = next((p for p in reversed(path) if isinstance(p, str)), "the field")
            note = NOTE_KIND_FALLBACK.format(key=key)
        return line, note

    def nearest(self, rline: int) -> LocateResult:
        """Template line of the nearest marked line at or above ``rline``.

        For messages about a rendered line that is not a key (a YAML syntax error in
        the output): the closest template line known to precede it.
        """
        if self._markers:
            for r in range(rline, 0, -1):
                line = self._markers.get(r)
                if line is not None:
                    note = None if r == rline else "nearest template line known before it"
                    return line, note
        return None, NOTE_UNRESOLVED
