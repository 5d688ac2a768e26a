from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write
from typer.testing import CliRunner

from tokenlint.app.config import ConfigError
from tokenlint.cli import app
from tokenlint.engine.run import lint
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.customrules import load_custom_rules, load_rule_file
from tokenlint.rulekit.registry import load_rules

EXAMPLES = Path(__file__).parents[1] / "examples" / "custom-rules"

RULE = """\
id: ORG010
name: no-host-network
severity: high
summary: pods must not use the host network
check: pod-spec
schema:
  properties:
    hostNetwork:
      const: false
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: registry.example.com/agent:1
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_rule_file(write(tmp_path, "rule.yaml", text), "rule.yaml")
    return [str(p) for p in caught.value.problems]


def test_rule_file_becomes_a_rule_with_its_metadata(tmp_path: Path) -> None:
    rule = load_rule_file(write(tmp_path, "rule.yaml", RULE + "help: Use a hostPort instead.\n"), "rule.yaml")
    assert (rule.meta.id, rule.meta.name, rule.meta.severity.label) == ("ORG010", "no-host-network", "high")
    assert rule.meta.summary == "pods must not use the host network"
    assert rule.meta.help == "Use a hostPort instead."


def test_violation_is_reported_at_the_failing_field(tmp_path: Path) -> None:
    rule = load_rule_file(write(tmp_path, "rule.yaml", RULE), "rule.yaml")
    result = lint([Stream(FileOrigin("pod.yaml"), POD.encode())], load_rules(extra=[rule]).select(["ORG010"]))
    assert [(f.rule, f.location.line, f.location.column, f.message) for f in result.findings] == [
        (
            "ORG010",
            6,
            3,
            "pods must not use the host network (spec.hostNetwork: expected false, found true)",
        )
    ]


def test_examples_trigger_on_fail_and_not_on_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    outcome = CliRunner().invoke(app, ["lint", "--select", "ORG", "--format", "json", "manifests"])
    assert outcome.exit_code == 1, outcome.output
    found = [
        (f["rule"], f["location"]["path"], f["location"]["line"], f["resource"]["kind"], f["resource"]["name"])
        for f in json.loads(outcome.stdout)["findings"]
    ]
    assert found == [
        ("ORG002", "manifests/fail.yaml", 3, "ServiceAccount", "api"),
        ("ORG001", "manifests/fail.yaml", 19, "Deployment", "api"),
        ("ORG001", "manifests/fail.yaml", 36, "CronJob", "report"),
    ]
    messages = [f["message"] for f in json.loads(outcome.stdout)["findings"]]
    assert messages[1] == (
        "workloads in namespace prod must set automountServiceAccountToken false explicitly"
        " (spec.template.spec.automountServiceAccountToken: missing)"
    )


def test_custom_rules_are_listed_explained_and_suppressible(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(EXAMPLES)
    listed = CliRunner().invoke(app, ["rules"])
    assert "ORG001  prod-explicit-automount" in listed.stdout
    explained = CliRunner().invoke(app, ["explain", "prod-explicit-automount"])
    assert explained.stdout.startswith("ORG001 prod-explicit-automount (default severity: high)\n")
    manifest = (EXAMPLES / "manifests" / "fail.yaml").read_text(encoding="utf-8")
    acknowledged = manifest.replace(
        "  name: report\n", '  name: report\n  annotations:\n    ignore.tokenlint.io/ORG001: "reads the report API"\n'
    )
    path = write(tmp_path, "acknowledged.yaml", acknowledged)
    outcome = CliRunner().invoke(app, ["lint", "--select", "ORG,TL008", "--format", "json", str(path)])
    assert [(f["rule"], f["resource"]["name"]) for f in json.loads(outcome.stdout)["findings"]] == [
        ("ORG002", "api"),
        ("ORG001", "api"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            RULE.replace("ORG010", "TL010"),
            "rule.yaml:1: id: 'TL010' is not 2 to 5 capital letters that do not start with TL (reserved for"
            " built-in rules), then 3 or 4 digits, e.g. ORG001",
        ),
        (
            RULE.replace("severity: high", "severity: severe"),
            "rule.yaml:3: severity: 'severe' is not one of ['info', 'low', 'medium', 'high', 'critical']",
        ),
        (
            RULE.replace("check: pod-spec\n", ""),
            "rule.yaml:1: document: 'kinds' is a required property",
        ),
        (
            RULE + "kind: [Pod]\n",
            "rule.yaml:10: kind: unknown key (expected one of: id, name, severity, summary, help, message, check,"
            " kinds, namespaces, schema)",
        ),
        (
            RULE.replace("const: false", "type: flag"),
            "rule.yaml:9: schema.properties.hostNetwork.type: 'flag' is not one of ['array', 'boolean', 'integer',"
            " 'null', 'number', 'object', 'string']",
        ),
        (
            "id: [ORG010\n",
            "rule.yaml:2: YAML syntax error: did not find expected ',' or ']' (while parsing a flow"
            " sequence started at line 1, column 5)",
        ),
    ],
)
def test_broken_rule_files_are_errors_with_their_line(tmp_path: Path, text: str, expected: str) -> None:
    assert problems_of(text, tmp_path) == [expected]


def test_duplicate_ids_and_missing_folders_are_errors(tmp_path: Path) -> None:
    write(tmp_path / "policies", "a.yaml", RULE)
    write(tmp_path / "policies", "b.yml", RULE.replace("no-host-network", "no-host-net"))
    write(tmp_path / "policies", "notes.txt", "not a rule")
    with pytest.raises(ConfigError) as caught:
        load_custom_rules([tmp_path / "policies", tmp_path / "missing"], ["policies", "missing"])
    assert [str(p) for p in caught.value.problems] == [
        "policies/b.yml: id ORG010 is already defined in policies/a.yaml",
        "missing: custom rule folder not found",
    ]


def test_cli_reports_a_broken_rule_file_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, ".tokenlint.yaml", "custom-rules: [policies]\n")
    write(tmp_path / "policies", "rule.yaml", RULE.replace("severity: high", "severity: severe"))
    write(tmp_path, "pod.yaml", POD)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(app, ["lint", "pod.yaml"])
    assert outcome.exit_code == 2
    assert outcome.stderr == (
        "policies/rule.yaml:3: severity: 'severe' is not one of ['info', 'low', 'medium', 'high', 'critical']\n"
    )
