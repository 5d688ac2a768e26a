from __future__ import annotations

import json
from pathlib import Path

import pytest
from manifests import WILDCARD_CLUSTER_ROLE
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.engine.baseline import BaselineError, baseline_json, load_baseline
from tokenlint.engine.run import LintOptions, lint
from tokenlint.engine.suppress import SuppressOptions
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules

SECRET = """\
---
apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  namespace: ci
type: kubernetes.io/service-account-token
"""


def test_baseline_file_lists_each_fingerprint_once_sorted() -> None:
    result = lint(
        [Stream(FileOrigin("in.yaml"), (WILDCARD_CLUSTER_ROLE + SECRET).encode())],
        load_rules().select(["TL002", "TL003"]),
    )
    assert json.loads(baseline_json(result.findings + result.findings)) == {
        "version": 1,
        "tool": "tokenlint",
        "findings": [
            {
                "fingerprint": "TL002|v1|Secret|ci|ci-token|type",
                "rule": "TL002",
                "resource": "Secret ci/ci-token",
            },
            {
                "fingerprint": "TL003|rbac.authorization.k8s.io/v1|ClusterRole||ops|rules.0.verbs.0",
                "rule": "TL003",
                "resource": "ClusterRole ops",
            },
        ],
    }


def test_baseline_hides_known_findings_after_lines_move(tmp_path: Path) -> None:
    rules = load_rules().select(["TL002", "TL003"])
    before = lint([Stream(FileOrigin("in.yaml"), WILDCARD_CLUSTER_ROLE.encode())], rules)
    path = tmp_path / "baseline.json"
    path.write_text(baseline_json(before.findings), encoding="utf-8")
    baseline = load_baseline(path, "baseline.json")
    # Unrelated edits: a comment moves every line, a new resource comes first.
    moved = "# platform roles\n\n" + SECRET + "---\n" + WILDCARD_CLUSTER_ROLE
    after = lint(
        [Stream(FileOrigin("in.yaml"), moved.encode())], rules, LintOptions(suppress=SuppressOptions(baseline=baseline))
    )
    assert [(f.rule, f.location.line, f.suppression.kind if f.suppression else None) for f in after.findings] == [
        ("TL002", 9, None),
        ("TL003", 18, "baseline"),
    ]
    suppression = after.findings[1].suppression
    assert suppression is not None
    assert suppression.justification == "in baseline baseline.json"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{",
            "b.json:1: not a baseline file (invalid JSON: Expecting property name enclosed in double quotes:"
            " line 1 column 2 (char 1))",
        ),
        ("[]", "b.json: not a baseline file (expected a JSON object with a version)"),
        (
            '{"version": 2, "findings": []}',
            "b.json: baseline version 2 is not supported (expected 1);"
            " create it again with 'tokenlint baseline create'",
        ),
        (
            '{"version": 1, "findings": [{"rule": "TL001"}]}',
            "b.json: 'findings' must be a list of objects with a 'fingerprint' string",
        ),
    ],
)
def test_broken_baseline_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        load_baseline(path, "b.json")
    assert str(caught.value) == message


def test_cli_creates_a_baseline_and_reports_only_new_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("roles.yaml").write_text(WILDCARD_CLUSTER_ROLE, encoding="utf-8")
    runner = CliRunner()
    created = runner.invoke(app, ["baseline", "create", "tl-baseline.json", "--select", "TL002,TL003", "roles.yaml"])
    assert created.exit_code == 0, created.output
    assert created.stdout == "tl-baseline.json: 1 finding accepted\n"
    args = ["lint", "--select", "TL002,TL003", "--baseline", "tl-baseline.json", "--format", "json"]
    clean = runner.invoke(app, [*args, "roles.yaml"])
    assert clean.exit_code == 0
    assert json.loads(clean.stdout)["findings"] == []
    Path("roles.yaml").write_text(SECRET + "---\n" + WILDCARD_CLUSTER_ROLE, encoding="utf-8")
    new = runner.invoke(app, [*args, "roles.yaml"])
    assert new.exit_code == 1
    assert [(f["rule"], f["location"]["line"]) for f in json.loads(new.stdout)["findings"]] == [("TL002", 7)]


def test_cli_does_not_write_a_baseline_of_a_run_with_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("kind: [\n", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["baseline", "create", "b.json", "bad.yaml"])
    assert outcome.exit_code == 2
    assert not Path("b.json").exists()
    assert outcome.stderr.endswith("tokenlint: error: b.json not written: fix the input errors first\n")


def test_cli_rejects_a_broken_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("roles.yaml").write_text(WILDCARD_CLUSTER_ROLE, encoding="utf-8")
    Path("b.json").write_text("[]", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["lint", "--baseline", "b.json", "roles.yaml"])
    assert outcome.exit_code == 2
    assert outcome.stderr == "tokenlint: error: b.json: not a baseline file (expected a JSON object with a version)\n"
