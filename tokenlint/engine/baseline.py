"""Baselines: adopt tokenlint on an existing repository and fail only on new findings.

``tokenlint baseline create FILE`` stores the fingerprints of today's findings;
``--baseline FILE`` then suppresses those findings and reports only new ones. A
fingerprint is the rule, the resource identity and the field path
(:meth:`~tokenlint.model.Finding.fingerprint`), never a line, so moving a resource in
its file, reformatting or editing other resources leaves the baseline valid.

The file is JSON with a format version; besides each fingerprint it keeps the rule and
the resource so that a reviewer can read what was accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenlint.model import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Baseline:
    """The accepted findings of a baseline file; ``path`` as it is shown to users."""

    path: str
    fingerprints: frozenset[str]

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and finding.fingerprint() in self.fingerprints


def baseline_json(findings: Iterable[Finding]) -> str:
    """The baseline file for ``findings``: one entry per fingerprint, sorted, so that
    re-creating it after unrelated changes gives a small diff."""
    entries: dict[str, dict[str, str]] = {}
    for finding in findings:
        fingerprint = finding.fingerprint()
        entries[fingerprint] = {
            "fingerprint": fingerprint,
            "rule": finding.rule,
            "resource": finding.resource.display(),
        }
    payload = {"version": BASELINE_VERSION, "tool": "tokenlint", "findings": [entries[k] for k in sorted(entries)]}
    return json.dumps(payload, indent=2) + "\n"


def load_baseline(path: Path, shown: str | None = None) -> Baseline:
    """Read a baseline file; raises BaselineError saying what is wrong with it."""
    name = shown or path.as_posix()
    try:
        data: Any = json.loads(path.read_bytes())
    except OSError as exc:
        raise BaselineError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BaselineError(f"{name}{line}: not a baseline file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "version" not in data:
        raise BaselineError(f"{name}: not a baseline file (expected a JSON object with a version)")
    if data["version"] != BASELINE_VERSION:
        raise BaselineError(
            f"{name}: baseline version {data['version']!r} is not supported (expected {BASELINE_VERSION});"
            " create it again with 'tokenlint baseline create'"
        )
    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{name}: 'findings' must be a list of objects with a 'fingerprint' string")
    return Baseline(name, frozenset(e["fingerprint"] for e in entries))
