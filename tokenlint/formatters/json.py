"""The JSON report: the versioned contract of DESIGN.md, field for field."""

from __future__ import annotations

import json
from typing import Any

from tokenlint import __version__
from tokenlint.model import Finding, InputError, Location, Related
from tokenlint.report import Report

JSON_VERSION = 1


def location_json(location: Location) -> dict[str, Any]:
    data: dict[str, Any] = {"path": location.path, "line": location.line, "column": location.column}
    if location.note:
        data["note"] = location.note
    if location.rendered_line is not None:
        data["renderedLine"] = location.rendered_line
    return data


def _related_json(related: Related) -> dict[str, Any]:
    data: dict[str, Any] = {"message": related.message, "location": location_json(related.location)}
    if related.resource is not None:
        r = related.resource
        data["resource"] = {"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name}
    return data


def finding_json(finding: Finding) -> dict[str, Any]:
    r = finding.resource
    data: dict[str, Any] = {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "resource": {"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name},
        "location": location_json(finding.location),
        "related": [_related_json(x) for x in finding.related],
        "suppressed": finding.suppressed,
        "fingerprint": finding.fingerprint(),
    }
    if finding.scenarios:
        data["scenario"] = list(finding.scenarios)
    if finding.suppression is not None:
        data["suppression"] = {"kind": finding.suppression.kind, "justification": finding.suppression.justification}
    return data


def error_json(error: InputError) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "column": error.column, "message": error.message}


def format_json(report: Report) -> str:
    payload = {
        "version": JSON_VERSION,
        "tool": {"name": "tokenlint", "version": __version__},
        "findings": [finding_json(f) for f in report.visible()],
        "errors": [error_json(e) for e in report.result.errors],
    }
    # Compact: the C encoder is ten times faster than the indenting one on large reports.
    return json.dumps(payload, separators=(",", ":")) + "\n"
