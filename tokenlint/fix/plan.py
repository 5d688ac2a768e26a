"""Turn the fixes that rules propose into new file contents, or into advice for a person.

Rules attach a :class:`~tokenlint.model.Fix` to a finding; this stage decides what
happens to it. Plain manifests are edited one field at a time through
:mod:`tokenlint.fix.edit`, each file as a whole or not at all. Rendered resources (Helm
charts) and findings without an automatic change become advice: what to set and where.
A file that changed since the linter read it is left alone, because the findings no
longer describe it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from ruamel.yaml import YAML

from tokenlint.fix.edit import Refused, set_fields
from tokenlint.model import AddResource, Finding, SetField, dotted


def digest(data: bytes) -> str:
    """The identity of a file's bytes, to tell whether it changed since it was linted."""
    return hashlib.sha256(data).hexdigest()


class State(enum.Enum):
    """Where a finding stands after ``fix``."""

    FIXED = "fixed"
    MANUAL = "needs a person"
    LEFT_ALONE = "left alone"


@dataclass(frozen=True)
class Outcome:
    """What ``fix`` did, or would do, about one finding, and in what words."""

    finding: Finding
    state: State
    text: str


@dataclass
class FixPlan:
    """New contents per file (``before`` is None for a file to create) and one outcome per finding."""

    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    left_alone: dict[str, str] = field(default_factory=dict)
    """Files that would need a change but stay as they are, with the reason."""


class _Planner:
    def __init__(self, digests: Mapping[str, str], advice: Mapping[str, str], policy_dir: Path | None) -> None:
        self.digests = digests
        self.advice = advice
        self.policy_dir = policy_dir
        self.edits: dict[str, list[SetField]] = {}
        self.new: dict[str, AddResource] = {}
        self.pending: list[tuple[Finding, list[str], str]] = []
        self.plan = FixPlan()

    def add(self, finding: Finding) -> None:
        fix = finding.fix
        if fix is None:
            reason = self.advice.get(finding.rule) or f"no automatic fix; see 'tokenlint explain {finding.rule}'"
            self.plan.outcomes.append(Outcome(finding, State.MANUAL, reason))
            return
        files: list[str] = []
        manual: list[str] = []
        for change in fix.changes:
            target = self._queue(change)
            if target is None:
                manual.append(_what_to_set(change))
            else:
                files.append(target)
        if manual or not fix.changes:
            text = "; ".join(manual) if manual else fix.summary
            self.plan.outcomes.append(Outcome(finding, State.MANUAL, text))
        else:
            self.pending.append((finding, files, fix.summary))

    def _queue(self, change: SetField | AddResource) -> str | None:
        """The file the change goes to, or None when it is a person's to make."""
        if isinstance(change, SetField):
            if change.file is None:
                return None
            queued = self.edits.setdefault(change.file, [])
            if change not in queued:
                queued.append(change)
            return change.file
        folder = self.policy_dir or (Path(change.near).parent if change.near else None)
        if folder is None:
            return None
        path = str(folder / f"{change.key}.yaml")
        self.new.setdefault(path, change)
        return path

    def finish(self) -> FixPlan:
        plan = self.plan
        for path, changes in self.edits.items():
            self._edit(path, changes)
        for path, resource in self.new.items():
            self._create(path, resource)
        for finding, files, summary in self.pending:
            refused = [plan.left_alone[f] for f in files if f in plan.left_alone]
            if refused:
                plan.outcomes.append(Outcome(finding, State.LEFT_ALONE, refused[0]))
            else:
                plan.outcomes.append(Outcome(finding, State.FIXED, summary))
        plan.outcomes.sort(key=lambda o: (o.finding.location.path, o.finding.location.line, o.finding.rule))
        return plan

    def _edit(self, path: str, changes: list[SetField]) -> None:
        try:
            data = Path(path).read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.plan.left_alone[path] = f"cannot read it ({error})"
            return
        if self.digests.get(path) != digest(data):
            self.plan.left_alone[path] = "it changed since it was linted; run fix again"
            return
        try:
            edited = set_fields(text, changes)
        except Refused as refused:
            self.plan.left_alone[path] = str(refused)
            return
        self.plan.before[path] = text
        self.plan.after[path] = edited

    def _create(self, path: str, resource: AddResource) -> None:
        text = _manifest(resource)
        try:
            existing = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            existing = None
        except (OSError, UnicodeDecodeError) as error:
            self.plan.left_alone[path] = f"cannot read it ({error})"
            return
        if existing is not None and existing != text:
            self.plan.left_alone[path] = "a different file of that name exists"
            return
        if existing is None:
            self.plan.before[path] = None
            self.plan.after[path] = text


def _what_to_set(change: SetField | AddResource) -> str:
    if isinstance(change, SetField):
        value = str(change.value).lower() if isinstance(change.value, bool) else str(change.value)
        return (
            f"set {dotted(change.path)}: {value} on {change.resource.display()} where it is written"
            " (tokenlint edits plain manifests only: change the chart's template or values,"
            " or patch it in the kustomization)"
        )
    return (
        f"add this manifest to the chart's templates or the kustomization's resources (tokenlint edits neither):\n"
        f"{_manifest(change)}"
    )


def _manifest(resource: AddResource) -> str:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = StringIO()
    yaml.dump(resource.body, out)
    header = "".join(f"# {line}\n" if line else "#\n" for line in resource.comment.splitlines())
    return header + out.getvalue()


def plan_fixes(
    findings: Iterable[Finding],
    digests: Mapping[str, str],
    advice: Mapping[str, str],
    policy_dir: Path | None = None,
) -> FixPlan:
    """Decide the new contents of every file the unsuppressed ``findings`` can be fixed in.

    ``digests`` holds the digest of each file as the linter read it; ``advice`` each
    rule's word for its findings that carry no fix.
    """
    planner = _Planner(digests, advice, policy_dir)
    for finding in findings:
        if not finding.suppressed:
            planner.add(finding)
    return planner.finish()
