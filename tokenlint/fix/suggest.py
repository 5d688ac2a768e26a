"""Suggested changes for SARIF: each finding's edits against the file as it was linted.

Code-scanning viewers show a suggestion per result, applied alone, so each finding's
edits are computed on the original text rather than on the file as ``fix`` would leave
it. Only single-field edits of plain files are offered; new files (TL005's policy) are
not, because a SARIF replacement needs an existing file to replace in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tokenlint.fix.edit import Refused, TextEdit, field_edits
from tokenlint.fix.plan import digest
from tokenlint.model import Finding, SetField


@dataclass(frozen=True)
class Suggestion:
    """One suggested change: what it does, and the edits per file."""

    summary: str
    edits: tuple[tuple[str, TextEdit], ...]


def suggestions(findings: Iterable[Finding], digests: Mapping[str, str]) -> dict[str, Suggestion]:
    """Suggestions by finding fingerprint, for the unsuppressed findings whose fix is safe."""
    texts: dict[str, str | None] = {}
    found: dict[str, Suggestion] = {}
    for finding in findings:
        fix = finding.fix
        if fix is None or finding.suppressed or not fix.changes:
            continue
        edits: list[tuple[str, TextEdit]] = []
        for change in fix.changes:
            edit = _edit(change, texts, digests) if isinstance(change, SetField) else None
            if edit is None:
                break
            edits.append(edit)
        else:
            found[finding.fingerprint()] = Suggestion(fix.summary, tuple(edits))
    return found


def _edit(change: SetField, texts: dict[str, str | None], digests: Mapping[str, str]) -> tuple[str, TextEdit] | None:
    if change.file is None:
        return None
    if change.file not in texts:
        texts[change.file] = _read(change.file, digests)
    text = texts[change.file]
    if text is None:
        return None
    try:
        (edit,) = field_edits(text, [change])
        return change.file, edit
    except Refused:
        return None


def _read(path: str, digests: Mapping[str, str]) -> str | None:
    """The file's text, if it is still what the linter read."""
    try:
        data = Path(path).read_bytes()
        return data.decode("utf-8") if digests.get(path) == digest(data) else None
    except (OSError, UnicodeDecodeError):
        return None
