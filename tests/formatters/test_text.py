"""The text report: grouped by file, one line per finding, a summary, colour only when asked."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from formatter_cases import (
    PARSE_ERROR,
    UNREADABLE,
    chain_finding,
    finding,
    make_report,
    suppressed_finding,
    wildcard_finding,
)

from tokenlint import cli
from tokenlint.model import Location, Severity
from tokenlint.report.text import format_text


def test_findings_grouped_by_file_with_position_rule_severity_message_and_resource() -> None:
    report = make_report([finding(), wildcard_finding()])
    assert format_text(report) == (
        "deploy/api.yaml\n"
        "  deploy/api.yaml:12:7: TL001 [high] pods mount the token of service account api (Deployment acme-prod/api)\n"
        "\n"
        "rbac/roles.yaml\n"
        "  rbac/roles.yaml:8:13: TL003 [critical] verbs: ['*'] grants every verb (ClusterRole wild)\n"
        "\n"
        "2 findings (1 critical, 1 high) in 4 resources from 3 files; 0 errors\n"
    )


def test_chain_steps_are_numbered_and_scenarios_listed() -> None:
    report = make_report([replace(chain_finding(), scenarios=("values-prod.yaml",))])
    assert format_text(report).splitlines()[1:5] == [
        "  deploy/api.yaml:12:7: TL201 [critical] the mounted token of service account api reaches cluster-admin"
        " (Deployment acme-prod/api)",
        "      scenarios: values-prod.yaml",
        "      1. service account api mounts its token (deploy/sa.yaml:4:9)",
        "      2. bound to cluster-admin (rbac/bind.yaml:9:3)",
    ]


def test_location_note_is_shown() -> None:
    note = "field not present; showing its closest parent"
    text = format_text(make_report([finding(location=Location("a.yaml", 3, 4, note=note))]))
    assert f"      note: {note}\n" in text


def test_errors_come_first_with_their_position_when_known() -> None:
    lines = format_text(make_report([finding()], [PARSE_ERROR, UNREADABLE])).splitlines()
    assert lines[:3] == [
        "deploy/bad.yaml:17:5: error YAML syntax error: mapping values are not allowed here",
        "deploy/missing.yaml: error no such file or directory",
        "",
    ]
    assert lines[-1] == "1 finding (1 high) in 4 resources from 3 files; 2 errors"


def test_suppressed_findings_are_counted_and_shown_only_when_asked() -> None:
    findings = [suppressed_finding("comment"), wildcard_finding()]
    assert format_text(make_report(findings)).splitlines()[-1] == (
        "1 finding (1 critical), 1 suppressed in 4 resources from 3 files; 0 errors"
    )
    shown = format_text(make_report(findings, show_suppressed=True))
    assert "      suppressed (comment): batch job needs the API\n" in shown


def test_no_escape_codes_without_color() -> None:
    report = make_report([finding(), wildcard_finding()], [PARSE_ERROR])
    assert "\033" not in format_text(report)


def test_color_paints_severity_and_file_headers() -> None:
    text = format_text(make_report([finding(severity=Severity.MEDIUM)], color=True))
    assert text.splitlines()[0] == "\033[1mdeploy/api.yaml\033[0m"
    assert " TL001 [\033[33mmedium\033[0m] " in text


class _Stdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "no_color", "output", "expected"),
    [
        (True, None, None, True),
        (True, "", None, True),  # no-color.org: only a non-empty value turns colour off
        (True, "1", None, False),
        (False, None, None, False),
        (True, None, Path("report.txt"), False),
    ],
)
def test_color_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch, tty: bool, no_color: str | None, output: Path | None, expected: bool
) -> None:
    monkeypatch.setattr("sys.stdout", _Stdout(tty))
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert cli._use_color(output) is expected
