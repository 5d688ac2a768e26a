from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from manifests import WILDCARD_CLUSTER_ROLE
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.engine.suppress import Comment, Reason, SuppressOptions, comments_by_document, parse_reason
from tokenlint.model import Location, ResourceRef, Suppression
from tokenlint.report.result import Report
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules
from tokenlint.yaml.reader import parse_stream

TODAY = date(2026, 6, 1)

WATCHER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: config-watcher
  namespace: platform
  annotations:
    ignore.tokenlint.io/TL001: "{reason}"
spec:
  template:
    spec:
      serviceAccountName: config-watcher
      automountServiceAccountToken: true
      containers:
        - name: watcher
          image: registry.example.com/config-watcher:1.4
"""

BREAK_GLASS_ROLE = WILDCARD_CLUSTER_ROLE.replace('verbs: ["*"]', 'verbs: ["*"]  # tokenlint: ignore[TL003] break-glass')
"""The wildcard ClusterRole with a trailing ignore comment on its ``verbs`` line (8)."""


def run(text: str, rules: list[str], trusted: frozenset[tuple[str, str]] = frozenset()) -> LintResult:
    decide = SuppressOptions(trusted_accounts=trusted, today=TODAY)
    stream = Stream(FileOrigin("in.yaml"), text.encode())
    return lint([stream], load_rules().select(rules), LintOptions(suppress=decide))


def outcome(result: LintResult) -> list[tuple[str, int, str, str | None]]:
    """(rule, line, resource name, suppression kind) of every finding."""
    return [
        (f.rule, f.location.line, f.resource.name, f.suppression.kind if f.suppression else None)
        for f in result.findings
    ]


# Reasons


def test_reason_is_the_text() -> None:
    assert parse_reason("  controller: watches ConfigMaps ") == Reason("controller: watches ConfigMaps")


def test_reason_with_an_expiry_date() -> None:
    assert parse_reason("until 2027-01-31: controller: watches ConfigMaps") == Reason(
        "controller: watches ConfigMaps", expires="2027-01-31"
    )


def test_reason_with_a_bad_date_or_no_text_cannot_apply() -> None:
    assert (
        parse_reason("until 2027-02-30: x").problem
        == "'until 2027-02-30' is not a date: write 'until YYYY-MM-DD: reason'"
    )
    assert parse_reason("until 2027-01-31:").problem == "it gives no reason: say why the finding is acceptable"
    assert parse_reason("").problem == "it gives no reason: say why the finding is acceptable"


# Comments in the raw bytes


def comments(text: str) -> dict[int, list[Comment]]:
    data = text.encode()
    return comments_by_document(data, parse_stream(data)[0])


def test_comments_cover_their_line_the_next_content_line_or_the_document() -> None:
    text = (
        "# tokenlint: ignore[TL002] whole first document\n"  # 1
        "apiVersion: v1\n"  # 2
        "kind: Secret\n"  # 3
        "metadata:\n"  # 4
        "  name: a  # tokenlint: ignore[TL007] this line\n"  # 5
        "  # tokenlint: ignore[TL001, TL201] next content line\n"  # 6
        "\n"  # 7
        "  # an ordinary comment\n"  # 8
        "  namespace: x\n"  # 9
        "---\n"  # 10
        "# Source: chart/templates/role.yaml\n"  # 11
        "# tokenlint: ignore(TL003) not a directive\n"  # 12
        "apiVersion: v1\n"  # 13
        "kind: ConfigMap\n"  # 14
    )
    assert comments(text) == {
        0: [
            Comment(1, 1, ("TL002",), Reason("whole first document"), None),
            Comment(5, 12, ("TL007",), Reason("this line"), 5),
            Comment(6, 3, ("TL001", "TL201"), Reason("next content line"), 9),
        ],
        1: [
            Comment(
                12,
                1,
                (),
                Reason(
                    "ignore(TL003) not a directive",
                    problem="'ignore(TL003) not a directive' is not a tokenlint directive:"
                    " write '# tokenlint: ignore[RULE,...] reason'",
                ),
                None,
            )
        ],
    }


def test_streams_without_the_marker_are_not_scanned() -> None:
    assert comments("apiVersion: v1\nkind: Secret  # tokenlint ignore[TL002] x\n") == {}


def test_a_hash_inside_a_value_is_not_a_comment() -> None:
    assert comments("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: x#tokenlint: ignore[TL002] y\n") == {}


# Deciding


def test_annotation_suppresses_the_finding_and_says_why() -> None:
    result = run(WATCHER.format(reason="controller: watches ConfigMaps"), ["TL001", "TL008"])
    (finding,) = result.findings
    assert finding.rule == "TL001"
    assert finding.suppression == Suppression(
        "annotation", "controller: watches ConfigMaps", Location("in.yaml", 7, 5, 7, 30)
    )
    assert Report(result, load_rules()).exit_code() == 0


def test_annotation_may_name_the_rule() -> None:
    text = WATCHER.format(reason="controller").replace("TL001", "automount-service-account-token")
    assert outcome(run(text, ["TL001", "TL008"])) == [("TL001", 12, "config-watcher", "annotation")]


def test_trailing_comment_suppresses_its_line() -> None:
    result = run(BREAK_GLASS_ROLE, ["TL003", "TL008"])
    assert outcome(result) == [("TL003", 8, "ops", "comment")]
    assert result.findings[0].suppression == Suppression("comment", "break-glass", Location("in.yaml", 8, 19, 8, 20))


def test_comment_above_a_field_covers_everything_inside_it() -> None:
    text = WILDCARD_CLUSTER_ROLE.replace(
        '    verbs: ["*"]', '    # tokenlint: ignore[TL003] break-glass\n    verbs:\n      - "*"'
    )
    assert outcome(run(text, ["TL003", "TL008"])) == [("TL003", 10, "ops", "comment")]


def test_comment_at_the_top_of_a_document_covers_the_document() -> None:
    text = "---\n# tokenlint: ignore[TL003,TL004] break-glass role\n" + WILDCARD_CLUSTER_ROLE.replace('[""]', '["*"]')
    assert outcome(run(text, ["TL003", "TL004", "TL008"])) == [
        ("TL004", 8, "ops", "comment"),
        ("TL003", 10, "ops", "comment"),
    ]


def test_comment_on_another_line_suppresses_nothing_and_is_reported() -> None:
    text = WILDCARD_CLUSTER_ROLE.replace(
        '    resources: ["pods"]', '    resources: ["pods"]  # tokenlint: ignore[TL003] x'
    )
    result = run(text, ["TL003", "TL008"])
    assert outcome(result) == [("TL008", 7, "ops", None), ("TL003", 8, "ops", None)]
    assert result.findings[0].message == "comment '# tokenlint: ignore[TL003]' matches no TL003 finding: remove it"
    assert Report(result, load_rules()).exit_code() == 1


def test_a_suppression_of_a_rule_that_did_not_run_is_not_judged() -> None:
    result = run(WATCHER.format(reason="controller"), ["TL003", "TL008"])
    assert outcome(result) == []


def test_unknown_rules_are_reported_even_when_they_did_not_run() -> None:
    text = WATCHER.format(reason="controller").replace("TL001", "TL0001")
    result = run(text, ["TL008"])
    assert outcome(result) == [("TL008", 7, "config-watcher", None)]
    assert result.findings[0].message == (
        "annotation ignore.tokenlint.io/TL0001 names no known rule 'TL0001': run 'tokenlint rules' for the list"
    )


def test_an_expired_suppression_stops_applying_and_is_reported() -> None:
    result = run(WATCHER.format(reason="until 2026-05-31: controller"), ["TL001", "TL008", "TL009"])
    assert outcome(result) == [("TL009", 7, "config-watcher", None), ("TL001", 12, "config-watcher", None)]
    assert result.findings[0].message == (
        "annotation ignore.tokenlint.io/TL001 expired on 2026-05-31, so TL001 is reported again:"
        " fix the finding or renew the date (reason given: controller)"
    )


def test_a_suppression_applies_through_its_last_day() -> None:
    result = run(WATCHER.format(reason="until 2026-06-01: controller"), ["TL001", "TL008", "TL009"])
    assert outcome(result) == [("TL001", 12, "config-watcher", "annotation")]


def test_a_suppression_without_reason_does_not_apply() -> None:
    result = run(WATCHER.format(reason=""), ["TL001", "TL008"])
    assert outcome(result) == [("TL008", 7, "config-watcher", None), ("TL001", 12, "config-watcher", None)]
    assert result.findings[0].message == (
        "annotation ignore.tokenlint.io/TL001 does not apply: it gives no reason: say why the finding is acceptable"
    )


def test_trusted_service_account_suppresses_its_token_findings() -> None:
    text = WATCHER.replace('    ignore.tokenlint.io/TL001: "{reason}"\n', "    team: platform\n")
    result = run(text, ["TL001", "TL008"], trusted=frozenset({("platform", "config-watcher")}))
    (finding,) = result.findings
    assert finding.suppression == Suppression(
        "config", "trusted service account platform/config-watcher (configuration)"
    )
    other = run(text, ["TL001"], trusted=frozenset({("platform", "other")}))
    assert outcome(other) == [("TL001", 12, "config-watcher", None)]


def test_the_same_declaration_from_two_renders_counts_once() -> None:
    text = BREAK_GLASS_ROLE
    streams = [Stream(FileOrigin("t.yaml"), text.encode(), scenario=s, bundle=s) for s in ("dev", "prod")]
    result = lint(streams, load_rules().select(["TL003", "TL008"]), LintOptions(suppress=SuppressOptions(today=TODAY)))
    assert outcome(result) == [("TL003", 8, "ops", "comment")]
    assert result.findings[0].scenarios == ("dev", "prod")


# The command line


def test_cli_hides_suppressed_findings_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "watcher.yaml"
    path.write_text(WATCHER.format(reason="controller: watches ConfigMaps"), encoding="utf-8")
    plain = CliRunner().invoke(app, ["lint", "--select", "TL001", "--format", "json", str(path)])
    assert plain.exit_code == 0
    assert json.loads(plain.stdout)["findings"] == []
    shown = CliRunner().invoke(app, ["lint", "--select", "TL001", "--format", "json", "--show-suppressed", str(path)])
    assert shown.exit_code == 0
    (finding,) = json.loads(shown.stdout)["findings"]
    assert finding["suppressed"] is True
    assert finding["suppression"] == {"kind": "annotation", "justification": "controller: watches ConfigMaps"}


def test_cli_reads_trusted_accounts_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "tl.yaml").write_text("trusted-service-accounts: [platform/config-watcher]\n", encoding="utf-8")
    path = tmp_path / "watcher.yaml"
    path.write_text(WATCHER.replace('    ignore.tokenlint.io/TL001: "{reason}"\n', ""), encoding="utf-8")
    args = ["lint", "--config", str(tmp_path / "tl.yaml"), "--select", "TL001", "--format", "json", "--show-suppressed"]
    result = CliRunner().invoke(app, [*args, str(path)])
    assert result.exit_code == 0
    assert [f["suppression"] for f in json.loads(result.stdout)["findings"]] == [
        {"kind": "config", "justification": "trusted service account platform/config-watcher (configuration)"}
    ]


def test_owner_of_a_document_comment_is_its_first_resource() -> None:
    text = (
        "# tokenlint: ignore[TL003] nothing to suppress here\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
    )
    result = run(text, ["TL003", "TL008"])
    assert [(f.rule, f.resource, f.location.line, f.location.column) for f in result.findings] == [
        ("TL008", ResourceRef("v1", "ConfigMap", "default", "c"), 1, 1)
    ]
