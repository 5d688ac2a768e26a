"""A cluster dump: Kubernetes' own objects are quiet, the applications' findings all appear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.inputs.discover import discover
from tokenlint.k8s.defaults import OWN_NOTE
from tokenlint.model import Severity
from tokenlint.rulekit.registry import load_rules

DUMP = "tests/dumps/cluster.yaml"


pytestmark = pytest.mark.usefixtures("at_root")


def run(include_defaults: bool = False) -> LintResult:
    return lint(discover([DUMP]), load_rules(), LintOptions(include_defaults=include_defaults))


def test_a_dump_reports_only_the_applications() -> None:
    result = run()
    assert not result.errors
    assert [(f.rule, f.location.line, f.severity.label, f.resource.display()) for f in result.findings] == [
        ("TL001", 6244, "high", "Deployment shop/api"),
        ("TL201", 6244, "high", "Deployment shop/api"),
        ("TL101", 6271, "high", "Role shop/api-config"),
        # The DaemonSet sets automountServiceAccountToken: true itself: one finding, TL201's chain.
        # system:kubelet-api-admin is the dump's own object: its rules[2] ('*' on nodes/proxy)
        # is reached through the application's binding, where the finding lands.
        ("TL201", 6373, "critical", "DaemonSet monitoring/metrics-agent"),
        ("TL107", 6446, "critical", "ClusterRoleBinding metrics-agent-kubelet"),
        # edit, aggregated in the dump from system:aggregate-to-edit and view
        ("TL101", 6491, "high", "RoleBinding ci/deployer-edit"),
        ("TL102", 6491, "high", "RoleBinding ci/deployer-edit"),
        ("TL103", 6491, "high", "RoleBinding ci/deployer-edit"),
        ("TL105", 6491, "critical", "RoleBinding ci/deployer-edit"),
        ("TL106", 6491, "high", "RoleBinding ci/deployer-edit"),
        ("TL112", 6491, "high", "RoleBinding ci/deployer-edit"),
    ]
    # the ReplicaSet and Pod the Deployment made are in the dump, and only the Deployment is reported
    assert result.resources == 153


def test_include_defaults_shows_kubernetes_own_findings_at_info() -> None:
    quiet = run().findings
    shown = run(include_defaults=True).findings
    extra = [f for f in shown if f not in quiet]
    assert len(shown) == len(quiet) + len(extra)
    assert extra
    assert {f.severity for f in extra} == {Severity.INFO}
    assert all(f.message.endswith(f"[{OWN_NOTE}]") for f in extra)
    # the bootstrap ClusterRoles, the public-info binding, and the static pod's mirror
    assert {"ClusterRole system:kubelet-api-admin", "ClusterRoleBinding system:public-info-viewer"} <= {
        f.resource.display() for f in extra
    }
    assert "Pod kube-system/kube-controller-manager-cp1" in {f.resource.display() for f in extra}


def test_the_command_line_switch_shows_them() -> None:
    from typer.testing import CliRunner

    from tokenlint.cli import app

    quiet = CliRunner().invoke(app, ["lint", DUMP, "--no-cache", "--fail-on", "critical"])
    shown = CliRunner().invoke(app, ["lint", DUMP, "--no-cache", "--fail-on", "critical", "--include-defaults"])
    assert quiet.stdout.splitlines()[-1] == "11 findings (3 critical, 8 high) in 153 resources from 1 file; 0 errors"
    assert shown.stdout.splitlines()[-1].startswith("93 findings (3 critical, 8 high, 82 info)")


REPO_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: api
      containers: [{name: web, image: "web:1"}]
"""


def test_a_repository_linted_against_a_dump_of_its_cluster(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tokenlint.cli import app

    app_file = tmp_path / "app.yaml"
    app_file.write_text(REPO_APP, encoding="utf-8")
    args = ["lint", str(app_file), "--no-cache", "--format", "json"]
    alone = json.loads(CliRunner().invoke(app, args).stdout)
    against = json.loads(CliRunner().invoke(app, [*args, "--context", DUMP]).stdout)
    # Alone, shop/api is unknown and the pods can reach the metadata endpoint; the dump holds
    # the account, its binding to a Role reading secrets, and shop's default-deny egress policy.
    assert [(f["rule"], f["severity"]) for f in alone["findings"]] == [("TL005", "high"), ("TL001", "low")]
    assert [(f["rule"], f["severity"], f["location"]["line"]) for f in against["findings"]] == [
        ("TL001", "high", 9),
        ("TL201", "high", 9),
    ]
    assert {f["location"]["path"] for f in against["findings"]} == {str(app_file)}
