"""The JSON report against the contract in DESIGN.md, field by field and type by type."""

from __future__ import annotations

import json
from typing import Any

from formatter_cases import (
    PARSE_ERROR,
    UNREADABLE,
    chain_finding,
    finding,
    make_report,
    suppressed_finding,
    wildcard_finding,
)

from tokenlint import __version__
from tokenlint.model import Location
from tokenlint.report.json import format_json
from tokenlint.report.result import Report

FINDING_KEYS = {"rule", "name", "severity", "message", "resource", "location", "related", "suppressed"}
"""The contract's keys; ``fingerprint`` always and ``scenario``/``suppression`` when set are additions."""


def payload(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(format_json(report))
    return data


def test_top_level_is_versioned_with_tool_findings_and_errors() -> None:
    data = payload(make_report())
    assert data == {"version": 1, "tool": {"name": "tokenlint", "version": __version__}, "findings": [], "errors": []}


def test_finding_fields_and_types() -> None:
    (entry,) = payload(make_report([finding()]))["findings"]
    assert set(entry) == FINDING_KEYS | {"fingerprint"}
    assert entry == {
        "rule": "TL001",
        "name": "automount-service-account-token",
        "severity": "high",
        "message": "pods mount the token of service account api",
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "acme-prod", "name": "api"},
        "location": {"path": "deploy/api.yaml", "line": 12, "column": 7},
        "related": [],
        "suppressed": False,
        "fingerprint": "TL001|apps/v1|Deployment|acme-prod|api|spec.template.spec",
    }


def test_namespace_is_null_for_cluster_scoped_resources() -> None:
    (entry,) = payload(make_report([wildcard_finding()]))["findings"]
    assert entry["resource"] == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "namespace": None,
        "name": "wild",
    }
    assert '"namespace":null' in format_json(make_report([wildcard_finding()]))


def test_related_entries_carry_message_location_and_resource() -> None:
    (entry,) = payload(make_report([chain_finding()]))["findings"]
    assert entry["related"] == [
        {
            "message": "service account api mounts its token",
            "location": {"path": "deploy/sa.yaml", "line": 4, "column": 9},
            "resource": {"apiVersion": "v1", "kind": "ServiceAccount", "namespace": "acme-prod", "name": "api"},
        },
        {
            "message": "bound to cluster-admin",
            "location": {"path": "rbac/bind.yaml", "line": 9, "column": 3},
            "resource": {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "namespace": None,
                "name": "api-admin",
            },
        },
    ]


def test_location_note_is_added_only_when_present() -> None:
    note = "field not present; showing its closest parent"
    (entry,) = payload(make_report([finding(location=Location("a.yaml", 3, 4, note=note))]))["findings"]
    assert entry["location"] == {"path": "a.yaml", "line": 3, "column": 4, "note": note}


def test_errors_have_path_line_column_and_message_with_nulls_when_unknown() -> None:
    data = payload(make_report(errors=[PARSE_ERROR, UNREADABLE]))
    assert data["errors"] == [
        {"path": "deploy/bad.yaml", "line": 17, "column": 5, "message": PARSE_ERROR.message},
        {"path": "deploy/missing.yaml", "line": None, "column": None, "message": "no such file or directory"},
    ]


def test_suppressed_findings_are_hidden_unless_asked_for() -> None:
    findings = [suppressed_finding("baseline"), wildcard_finding()]
    assert [f["rule"] for f in payload(make_report(findings))["findings"]] == ["TL003"]
    shown = payload(make_report(findings, show_suppressed=True))["findings"]
    assert [(f["rule"], f["suppressed"]) for f in shown] == [("TL001", True), ("TL003", False)]
    assert shown[0]["suppression"] == {"kind": "baseline", "justification": "batch job needs the API"}


def test_scenarios_are_listed_when_the_finding_has_them() -> None:
    (entry,) = payload(make_report([finding(scenarios=("values-prod.yaml",))]))["findings"]
    assert entry["scenario"] == ["values-prod.yaml"]
