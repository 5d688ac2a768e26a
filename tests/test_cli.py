"""The command line: exit codes, rule selection, failing severity, output, and presentation."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from manifests import CONFIG_MAP, WILDCARD_CLUSTER_ROLE
from typer.testing import CliRunner, Result

from tokenlint import __version__
from tokenlint.cli import app

TOKEN_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: old-token
  annotations:
    kubernetes.io/service-account.name: deployer
type: kubernetes.io/service-account-token
"""


LONG_TOKEN_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  automountServiceAccountToken: false
  containers:
    - name: app
      image: app:1
  volumes:
    - name: token
      projected:
        sources:
          - serviceAccountToken: {path: token, expirationSeconds: 172800}
"""

BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n"

HELM_TEMPLATE = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "app.fullname" . }}
  {{- with .Values.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, so that no configuration file is picked up."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def write(root: Path, name: str, text: str) -> str:
    (root / name).write_text(text, encoding="utf-8")
    return name


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def finding_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("  ")]


def test_exit_0_when_clean(workdir: Path) -> None:
    outcome = invoke("lint", write(workdir, "cm.yaml", CONFIG_MAP))
    assert outcome.exit_code == 0
    assert outcome.stdout.splitlines()[-1] == "0 findings in 1 resource from 1 file; 0 errors"


def test_exit_1_on_findings_with_file_line_and_rule(workdir: Path) -> None:
    outcome = invoke("lint", "--select", "TL002", write(workdir, "secret.yaml", TOKEN_SECRET))
    assert outcome.exit_code == 1
    assert finding_lines(outcome.stdout) == [
        "secret.yaml:7:1: TL002 [high] legacy token Secret for service account deployer: the token never expires; "
        "use a TokenRequest or projected token; the token grants nothing in this bundle (Secret default/old-token)"
    ]


def test_exit_2_on_input_errors_wins_over_findings(workdir: Path) -> None:
    outcome = invoke("lint", write(workdir, "a.yaml", TOKEN_SECRET), write(workdir, "b.yaml", BROKEN))
    assert outcome.exit_code == 2
    assert outcome.stdout.startswith("b.yaml:4:1: error YAML syntax error: ")
    assert any(line.startswith("a.yaml:7:1: TL002") for line in finding_lines(outcome.stdout))


def test_missing_path_is_exit_2_and_the_others_are_linted(workdir: Path) -> None:
    outcome = invoke("lint", "missing.yaml", write(workdir, "cm.yaml", CONFIG_MAP))
    assert outcome.exit_code == 2
    assert "missing.yaml: error no such file or directory" in outcome.stdout.splitlines()
    assert "in 1 resource from 1 file; 1 error" in outcome.stdout


def test_select_and_ignore(workdir: Path) -> None:
    files = [write(workdir, "secret.yaml", TOKEN_SECRET), write(workdir, "role.yaml", WILDCARD_CLUSTER_ROLE)]

    def rules_of(*options: str) -> set[str]:
        return {line.split()[1] for line in finding_lines(invoke("lint", *options, *files).stdout)}

    assert rules_of("--select", "TL002,TL003") == {"TL002", "TL003"}
    assert rules_of("--select", "TL002", "--select", "rbac-wildcard-verb") == {"TL002", "TL003"}
    assert rules_of("--select", "TL002,TL003", "--ignore", "TL003") == {"TL002"}
    assert rules_of("--select", "TL00", "--ignore", "legacy-token-secret") == {"TL003"}


def test_unknown_rule_is_a_usage_error(workdir: Path) -> None:
    outcome = invoke("lint", "--select", "TL999", write(workdir, "cm.yaml", CONFIG_MAP))
    assert outcome.exit_code == 2
    assert "unknown rule 'TL999'" in outcome.stderr


def test_fail_on(workdir: Path) -> None:
    pod = write(workdir, "pod.yaml", LONG_TOKEN_POD)
    medium = invoke("lint", "--select", "TL006", pod)
    assert medium.exit_code == 1
    high = invoke("lint", "--select", "TL006", "--fail-on", "high", pod)
    assert high.exit_code == 0
    assert finding_lines(high.stdout)[0].startswith("pod.yaml:14:48: TL006 [medium]")
    bad = invoke("lint", "--fail-on", "urgent", pod)
    assert bad.exit_code == 2
    assert "unknown severity 'urgent'" in bad.stderr


def test_output_file_and_json(workdir: Path) -> None:
    outcome = invoke(
        "lint",
        "--select",
        "TL002",
        "--format",
        "json",
        "--output",
        "report.json",
        write(workdir, "s.yaml", TOKEN_SECRET),
    )
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    assert [(f["rule"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]] == [
        ("TL002", "s.yaml", 7)
    ]
    assert report["errors"] == []


def test_unwritable_output_is_a_usage_error(workdir: Path) -> None:
    outcome = invoke("lint", "--output", "no/such/dir/report.txt", write(workdir, "cm.yaml", CONFIG_MAP))
    assert outcome.exit_code == 2
    assert "cannot write no/such/dir/report.txt" in outcome.stderr


def test_version() -> None:
    outcome = invoke("--version")
    assert outcome.exit_code == 0
    assert outcome.stdout == f"tokenlint {__version__} (built-in roles: Kubernetes 1.34 bootstrap policy)\n"


def test_rules_lists_every_rule_with_severity() -> None:
    outcome = invoke("rules")
    assert outcome.exit_code == 0
    rows = {line.split()[0]: line.split()[1:3] for line in outcome.stdout.splitlines()}
    assert rows["TL002"] == ["legacy-token-secret", "high"]
    assert rows["TL006"] == ["long-lived-projected-token", "medium"]


def test_explain_by_id_and_name() -> None:
    by_id = invoke("explain", "TL007")
    assert by_id.exit_code == 0
    assert by_id.stdout.startswith("TL007 duplicate-key (default severity: medium)\n\n# TL007 duplicate-key\n")
    assert "## How to fix" in by_id.stdout
    assert invoke("explain", "duplicate-key").stdout == by_id.stdout
    unknown = invoke("explain", "TL999")
    assert unknown.exit_code == 2
    assert "unknown rule 'TL999'" in unknown.stderr


def test_no_colour_when_not_a_terminal(workdir: Path) -> None:
    outcome = invoke("lint", "--select", "TL002", write(workdir, "s.yaml", TOKEN_SECRET))
    assert "\033[" not in outcome.stdout


def _on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run tokenlint with its standard output on a pseudo-terminal and return what it printed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "tokenlint", *args], cwd=cwd, env=env, stdout=follower, stderr=subprocess.DEVNULL
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the process exits
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False), ("", True)])
def test_colour_on_a_terminal_unless_no_color(workdir: Path, no_color: str | None, coloured: bool) -> None:
    write(workdir, "s.yaml", TOKEN_SECRET)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    printed = _on_a_terminal(["lint", "--select", "TL002", "s.yaml"], workdir, env)
    assert "TL002" in printed
    assert ("\033[" in printed) is coloured


def test_helm_template_file_is_reported_as_such(workdir: Path) -> None:
    outcome = invoke(
        "lint", write(workdir, "serviceaccount.yaml", HELM_TEMPLATE), write(workdir, "cm.yaml", CONFIG_MAP)
    )
    assert outcome.exit_code == 2
    errors = [line for line in outcome.stdout.splitlines() if line.startswith("serviceaccount.yaml:")]
    assert len(errors) == 1
    assert "looks like a Helm template, not YAML: lint its chart directory" in errors[0]
    assert "from 2 files" in outcome.stdout


FLOW_BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:authenticated}]
"""


def test_colons_in_flow_collections_are_linted_not_rejected(workdir: Path) -> None:
    outcome = invoke("lint", "--select", "TL110", write(workdir, "crb.yaml", FLOW_BINDING))
    assert outcome.exit_code == 1
    assert finding_lines(outcome.stdout) == [
        "crb.yaml:4:67: TL110 [critical] grants ClusterRole cluster-admin (built-in) cluster-wide to Group "
        "system:authenticated (ClusterRoleBinding everyone-admin)"
    ]


def test_one_run_prints_its_report_and_writes_sarif_beside_it(workdir: Path) -> None:
    outcome = invoke(
        "lint", "--select", "TL110", "--sarif-output", "out.sarif", write(workdir, "crb.yaml", FLOW_BINDING)
    )
    assert outcome.exit_code == 1
    assert finding_lines(outcome.stdout)[0].startswith("crb.yaml:4:67: TL110 [critical]")
    log = json.loads((workdir / "out.sarif").read_text(encoding="utf-8"))
    assert [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in log["runs"][0]["results"]
    ] == [("TL110", 4)]
