"""The JSON report: the versioned contract of DESIGN.md, field for field."""

from __future__ import annotations

import functools
import json
from typing import Any

from tokenlint import __version__
from tokenlint.model import Finding, InputError, Location, Notice, Related, ResourceRef, Severity
from tokenlint.report.result import Report

JSON_VERSION = 1
_SEVERITY = {severity: severity.label for severity in Severity}


def location_json(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {"path": location.path, "line": location.line, "column": location.column}
    if location.note:
        data["note"] = location.note
    if location.rendered_line is not None:
        data["renderedLine"] = location.rendered_line
    return data


def _resource_json(r: ResourceRef) -> dict[str, Any]:
    return {"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name}


class _Pieces:
    """Builds each distinct resource, location and link once per report.

    The links of escalation chains (a ServiceAccount, its binding, its role) recur in the
    findings of every workload that runs as that account; the encoder writes a shared
    piece as often as it is referenced.
    """

    def __init__(self) -> None:
        self.resource = functools.cache(_resource_json)
        self.location = functools.cache(location_json)
        self.related = functools.cache(self._related)

    def _related(self, related: Related) -> dict[str, Any]:
        data: dict[str, Any] = {"message": related.message, "location": self.location(related.location)}
        if related.resource is not None:
            data["resource"] = self.resource(related.resource)
        return data

    def finding(self, finding: Finding) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": finding.rule,
            "name": finding.name,
            "severity": _SEVERITY[finding.severity],
            "message": finding.message,
            "resource": self.resource(finding.resource),
            "location": self.location(finding.location),
            "related": [self.related(x) for x in finding.related],
            "suppressed": finding.suppressed,
            "fingerprint": finding.fingerprint(),
        }
        if finding.scenarios:
            data["scenario"] = list(finding.scenarios)
        if finding.suppression is not None:
            suppression = finding.suppression
            data["suppression"] = {"kind": suppression.kind, "justification": suppression.justification}
        return data


def error_json(error: InputError | Notice) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "column": error.column, "message": error.message}


def format_json(report: Report) -> str:
    pieces = _Pieces()
    payload = {
        "version": JSON_VERSION,
        "tool": {"name": "tokenlint", "version": __version__},
        "findings": [pieces.finding(f) for f in report.visible()],
        "errors": [error_json(e) for e in report.result.errors],
    }
    if report.result.notices:  # optional: what the run did not lint (GitOps sources)
        payload["notices"] = [error_json(n) for n in report.result.notices]
    # Compact: the C encoder is ten times faster than the indenting one on large reports.
    return json.dumps(payload, separators=(",", ":")) + "\n"
