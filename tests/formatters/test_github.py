"""GitHub workflow-command annotations: levels, positions and the runner's escaping rules."""

from __future__ import annotations

import pytest
from formatter_cases import PARSE_ERROR, UNREADABLE, chain_finding, finding, make_report, suppressed_finding

from tokenlint.model import Location, Severity
from tokenlint.report.github import escape_data, escape_property, format_github

SUMMARY = "1 finding (1 high) in 4 resources from 3 files; 0 errors"


def test_finding_is_an_annotation_with_position_title_and_message() -> None:
    assert format_github(make_report([finding()])).splitlines() == [
        "::error file=deploy/api.yaml,line=12,col=7,endLine=12,endColumn=17,"
        "title=TL001 automount-service-account-token::pods mount the token of service account api"
        " (Deployment acme-prod/api)",
        SUMMARY,
    ]


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "notice"),
        (Severity.INFO, "notice"),
    ],
)
def test_level_follows_severity(severity: Severity, level: str) -> None:
    first = format_github(make_report([finding(severity=severity)])).splitlines()[0]
    assert first.startswith(f"::{level} file=")


def test_position_without_an_end_omits_end_properties() -> None:
    first = format_github(make_report([finding(location=Location("a.yaml", 3, 4))])).splitlines()[0]
    assert first.startswith("::error file=a.yaml,line=3,col=4,title=TL001 ")


def test_details_are_extra_message_lines_escaped_as_percent_0a() -> None:
    first = format_github(make_report([chain_finding()])).splitlines()[0]
    assert first.endswith(
        "::the mounted token of service account api reaches cluster-admin (Deployment acme-prod/api)"
        "%0A1. service account api mounts its token (deploy/sa.yaml:4:9)"
        "%0A2. bound to cluster-admin (rbac/bind.yaml:9:3)"
    )


def test_input_errors_are_error_annotations_with_a_position_when_known() -> None:
    lines = format_github(make_report(errors=[PARSE_ERROR, UNREADABLE])).splitlines()
    assert lines[:2] == [
        "::error file=deploy/bad.yaml,line=17,col=5,title=tokenlint input error::"
        "YAML syntax error: mapping values are not allowed here",
        "::error file=deploy/missing.yaml,title=tokenlint input error::no such file or directory",
    ]


def test_suppressed_findings_are_hidden_or_shown_as_notices() -> None:
    assert format_github(make_report([suppressed_finding()])).splitlines()[:-1] == []
    (shown, _) = format_github(make_report([suppressed_finding()], show_suppressed=True)).splitlines()
    assert shown.startswith("::notice file=deploy/api.yaml,")
    assert shown.endswith("%0Asuppressed (annotation): batch job needs the API")


def test_data_escapes_percent_cr_and_lf() -> None:
    assert escape_data("100% of\r\nthe: a,b") == "100%25 of%0D%0Athe: a,b"


def test_properties_also_escape_colon_and_comma() -> None:
    assert escape_property("C:\\x,y%\n") == "C%3A\\x%2Cy%25%0A"


def test_hostile_path_and_message_cannot_start_another_command() -> None:
    evil = finding(
        message="bad\n::add-mask::secret",
        location=Location("x,line=1::warning file=y.yaml", 1, 1),
    )
    (line, _) = format_github(make_report([evil])).splitlines()
    assert line == (
        "::error file=x%2Cline=1%3A%3Awarning file=y.yaml,line=1,col=1,"
        "title=TL001 automount-service-account-token::bad%0A::add-mask::secret (Deployment acme-prod/api)"
    )
