"""SARIF 2.1.0 for GitHub code scanning and every other SARIF consumer.

The log validates against the OASIS schema and follows the rules GitHub lists in
"SARIF support for code scanning" and "SARIF results exceed limits":

- every rule that ran is described (id, name, short and full description, help as
  text and Markdown, default level, ``tags`` starting with ``security``, ``precision``
  and ``security-severity`` as a string score), and every result points at its rule
  by ``ruleId`` and ``ruleIndex``;
- URIs are relative to ``%SRCROOT%`` (the directory tokenlint ran in, normally the
  repository checkout) so that alerts land on repository files; a file outside it gets
  an absolute ``file://`` URI and no base;
- ``partialFingerprints`` hash rule + resource identity + field path, never a line,
  so an alert survives edits that move it;
- GitHub's hard limits are respected by truncating, and the truncation is said in a
  tool execution notification instead of the upload being rejected.

Suppressed findings are always included, marked with SARIF ``suppressions``, so that
code scanning closes their alerts instead of forgetting them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tokenlint import __version__
from tokenlint.model import Finding, InputError, Location, Notice, Related, ResourceRef, Severity, Suppression
from tokenlint.report.result import Report
from tokenlint.rulekit.rule import RuleMeta

if TYPE_CHECKING:
    from tokenlint.fix.suggest import Suggestion

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "tokenlint/v1"
"""Versioned so that a future change of the hashed identity can use a new key."""
IN_SOURCE_SUPPRESSIONS = frozenset({"annotation", "comment"})
"""Suppression kinds written in the linted files; the others (baseline, config) are external."""

# GitHub's hard limits: a file above them is rejected, so we truncate first.
MAX_RESULTS = 25_000
MAX_RELATED_LOCATIONS = 1_000
MAX_THREAD_FLOW_LOCATIONS = 10_000
MAX_TAGS = 20

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
"""Scores inside GitHub's bands (critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low
0.1-3.9). ``info`` maps to low because 0.0 ("none") hides the alert's severity."""

PRECISION = "high"
"""Findings are facts read from the manifests, but the cluster can differ from them
(an object missing from the input is assumed to have Kubernetes' defaults)."""

_WHAT_IT_DOES = re.compile(r"^## What it does\s*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def _information_uri() -> str | None:
    """The project's home page as declared in its package metadata, if any."""
    try:
        urls = metadata("tokenlint").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in urls:
        url = str(entry).partition(",")[2].strip()
        if url:
            return url
    return None


def _full_description(meta: RuleMeta, page: str) -> str:
    """The page's "What it does" section in one paragraph; the summary when there is none."""
    match = _WHAT_IT_DOES.search(page)
    text = " ".join(match.group(1).split()) if match else ""
    return text or meta.summary


def _tags(meta: RuleMeta) -> list[str]:
    """``security`` first: GitHub applies ``security-severity`` only to rules tagged so."""
    tags = ["security", *(t for t in meta.tags if t != "security")]
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def _page(meta: RuleMeta) -> str:
    """The rule's help page; its summary when a plugin's page cannot be read.

    Every rule that ran is described, so one plugin shipping without its page must not
    cost the whole report.
    """
    try:
        return meta.help
    except OSError:
        return meta.summary


def rule_descriptor(meta: RuleMeta) -> dict[str, Any]:
    """A SARIF reportingDescriptor with everything GitHub shows on an alert."""
    page = _page(meta)
    return {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": _full_description(meta, page)},
        "help": {"text": page, "markdown": page},
        "defaultConfiguration": {"level": LEVELS[meta.severity]},
        "properties": {
            "tags": _tags(meta),
            "precision": PRECISION,
            "security-severity": SECURITY_SEVERITY[meta.severity],
        },
    }


def _meta_of(finding: Finding) -> RuleMeta:
    """Metadata for a finding whose rule is not in the rule set, so its result has a rule."""
    return RuleMeta(id=finding.rule, name=finding.name, severity=finding.severity, summary=finding.name)


class _Writer:
    """Builds one SARIF run; holds the root that relative paths are resolved against."""

    def __init__(self, report: Report, root: Path) -> None:
        self.report = report
        self.root = root
        metas = [rule.meta for rule in report.rules.rules]
        known = {meta.id for meta in metas}
        for finding in report.result.findings:
            if finding.rule not in known:
                known.add(finding.rule)
                metas.append(_meta_of(finding))
        self.metas = metas
        self.rule_index = {meta.id: index for index, meta in enumerate(metas)}

    def artifact(self, path: str) -> dict[str, Any]:
        """Relative to ``%SRCROOT%`` when the file lies below the root, else a file URI."""
        posix = PurePosixPath(path)
        if posix.is_absolute() or ".." in posix.parts:
            absolute = Path(os.path.normpath(self.root / path))
            try:
                posix = PurePosixPath(absolute.relative_to(self.root).as_posix())
            except ValueError:
                return {"uri": absolute.as_uri()}
        return {"uri": quote(posix.as_posix()), "uriBaseId": SRCROOT}

    def physical(self, location: Location) -> dict[str, Any]:
        line = max(location.line, 1)
        column = max(location.column, 1)
        end_line = max(location.end_line or line, line)
        end_column = location.end_column or 0
        if end_line == line and end_column <= column:
            # SARIF's endColumn is exclusive: highlight at least one character.
            end_column = column + 1
        region = {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
        return {"artifactLocation": self.artifact(location.path), "region": region}

    def location(
        self, location: Location, resource: ResourceRef | None = None, message: str | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"physicalLocation": self.physical(location)}
        texts = [text for text in (message, location.note) if text]
        if texts:
            data["message"] = {"text": "; ".join(texts)}
        if resource is not None:
            data["logicalLocations"] = [_logical(resource)]
        if location.rendered_line is not None:
            data["properties"] = {"renderedLine": location.rendered_line}
        return data

    def related(self, index: int, related: Related) -> dict[str, Any]:
        return {"id": index, **self.location(related.location, related.resource, related.message)}

    def code_flow(self, finding: Finding) -> dict[str, Any]:
        """The chain in order: the finding's own place first, then each link.

        A chain whose first link already is the finding's own place starts with it,
        rather than showing the same place twice.
        """
        links = [self.location(r.location, r.resource, r.message) for r in finding.related]
        first = finding.related[0] if finding.related else None
        if first is None or (first.location.path, first.location.line) != (
            finding.location.path,
            finding.location.line,
        ):
            links.insert(0, self.location(finding.location, finding.resource, finding.resource.display()))
        steps = links
        thread = [{"location": step} for step in steps[:MAX_THREAD_FLOW_LOCATIONS]]
        return {"threadFlows": [{"locations": thread}]}

    def result(self, finding: Finding) -> dict[str, Any]:
        digest = hashlib.sha256(finding.fingerprint().encode("utf-8")).hexdigest()
        data: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": self.rule_index[finding.rule],
            "level": LEVELS[finding.severity],
            "message": {"text": f"{finding.message} ({finding.resource.display()})"},
            "locations": [self.location(finding.location, finding.resource)],
            "partialFingerprints": {FINGERPRINT_KEY: digest},
        }
        related = finding.related[:MAX_RELATED_LOCATIONS]
        if related:
            data["relatedLocations"] = [self.related(i, r) for i, r in enumerate(related, start=1)]
        if finding.chain and finding.related:
            data["codeFlows"] = [self.code_flow(finding)]
        if finding.suppression is not None:
            data["suppressions"] = [self.suppression(finding.suppression)]
        suggestion = self.report.suggestions.get(finding.fingerprint())
        if suggestion is not None:
            data["fixes"] = [self.fix(suggestion)]
        properties: dict[str, Any] = dict(finding.properties)
        properties["severity"] = finding.severity.label
        if finding.scenarios:
            properties["scenarios"] = list(finding.scenarios)
        omitted = len(finding.related) - len(related)
        if omitted:
            properties["omittedRelatedLocations"] = omitted
        data["properties"] = properties
        return data

    def fix(self, suggestion: Suggestion) -> dict[str, Any]:
        """A suggested change: each edit replaces whole lines, without their last line break."""
        changes: dict[str, list[dict[str, Any]]] = {}
        for path, edit in suggestion.edits:
            region = {"startLine": edit.first, "startColumn": 1, "endLine": edit.last, "endColumn": edit.end_column}
            text = edit.text.removesuffix("\n").removesuffix("\r")
            changes.setdefault(path, []).append({"deletedRegion": region, "insertedContent": {"text": text}})
        return {
            "description": {"text": suggestion.summary},
            "artifactChanges": [
                {"artifactLocation": self.artifact(path), "replacements": replacements}
                for path, replacements in changes.items()
            ],
        }

    def suppression(self, suppression: Suppression) -> dict[str, Any]:
        """Annotations and comments live in the code ("inSource"); a baseline or a trusted
        service account of the configuration lives outside it ("external")."""
        data: dict[str, Any] = {
            "kind": "inSource" if suppression.kind in IN_SOURCE_SUPPRESSIONS else "external",
            "status": "accepted",
            "justification": suppression.justification,
        }
        if suppression.location is not None:
            data["location"] = self.location(suppression.location)
        return data

    def error(self, error: InputError | Notice) -> dict[str, Any]:
        level = "note" if isinstance(error, Notice) else "error"
        data: dict[str, Any] = {"level": level, "message": {"text": error.message}}
        if error.path:
            physical: dict[str, Any] = {"artifactLocation": self.artifact(error.path)}
            if error.line:
                physical["region"] = {"startLine": error.line, "startColumn": max(error.column or 1, 1)}
            data["locations"] = [{"physicalLocation": physical}]
        return data

    def run(self) -> dict[str, Any]:
        findings = self.report.result.findings
        kept = _most_severe(findings, MAX_RESULTS)
        notifications = [self.error(e) for e in self.report.result.errors]
        notifications += [self.error(n) for n in self.report.result.notices]
        if len(kept) < len(findings):
            left_out = len(findings) - len(kept)
            notifications.append(
                {
                    "level": "warning",
                    "message": {
                        "text": f"{left_out} of {len(findings)} results left out: GitHub code scanning accepts "
                        f"at most {MAX_RESULTS} results per run; the most severe were kept"
                    },
                }
            )
        driver: dict[str, Any] = {"name": "tokenlint", "version": __version__, "semanticVersion": __version__}
        information_uri = _information_uri()
        if information_uri:
            driver["informationUri"] = information_uri
        driver["rules"] = [rule_descriptor(meta) for meta in self.metas]
        return {
            "tool": {"driver": driver},
            "invocations": [
                {
                    "executionSuccessful": not self.report.result.errors,
                    "exitCode": self.report.exit_code(),
                    "toolExecutionNotifications": notifications,
                }
            ],
            "originalUriBaseIds": {SRCROOT: {"uri": self.root.as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [self.result(f) for f in kept],
        }


def _logical(resource: ResourceRef) -> dict[str, Any]:
    """The Kubernetes object as a logical location, e.g. ``Deployment/acme-prod/api``."""
    parts = [resource.kind, *([resource.namespace] if resource.namespace else []), resource.name]
    return {"name": resource.name, "fullyQualifiedName": "/".join(parts), "kind": "resource"}


def _most_severe(findings: list[Finding], limit: int) -> list[Finding]:
    """At most ``limit`` findings, the most severe first chosen, kept in their report order."""
    if len(findings) <= limit:
        return findings
    ranked = sorted(range(len(findings)), key=lambda i: -findings[i].severity)[:limit]
    return [findings[i] for i in sorted(ranked)]


def sarif_log(report: Report, root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as data; ``root`` is the directory relative paths start from (cwd)."""
    base = Path(os.path.abspath(root or Path.cwd()))
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [_Writer(report, base).run()]}


def format_sarif(report: Report) -> str:
    # Compact: the C encoder is ten times faster than the indenting one on large reports.
    return json.dumps(sarif_log(report), separators=(",", ":")) + "\n"
