"""Focusing a pre-commit run on what the changed files can affect changes none of its answers.

The bundle in ``focus/`` spreads every kind of cross-file link over files and namespaces:
a RoleBinding of namespace ops granting to an account of shop, a ClusterRole aggregated
into the role a ClusterRoleBinding grants to an account of batch, a Group subject naming
every account of web, a NetworkPolicy and a cluster-wide Cilium policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.engine.scope import ChangeScope
from tokenlint.inputs.discover import discover
from tokenlint.k8s.index import BundleIndex
from tokenlint.model import Severity
from tokenlint.rulekit.registry import RuleSet, load_rules
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta

BUNDLE = Path(__file__).parent / "focus"
FILES = sorted(p.relative_to(BUNDLE).as_posix() for p in BUNDLE.rglob("*.yaml"))
CILIUM = "cluster/cilium.yaml"


@pytest.fixture(autouse=True)
def in_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BUNDLE)


class JudgedWorkloads(BundleRule):
    """Records the workloads the cross-file rules are asked about."""

    meta = RuleMeta("TT100", "judged-workloads", Severity.INFO, "test rule")
    seen: ClassVar[list[str]] = []

    def check(self, index: BundleIndex, ctx: Context) -> None:
        self.seen.extend(w.resource.ref.display() for w in index.workloads)


def run(rules: RuleSet, scope: ChangeScope | None, without: str | None = None) -> LintResult:
    inputs = discover(["."], excluded=lambda path: path == without)
    return lint(inputs, rules, LintOptions(changed=scope.touches if scope else None))


CHANGES = [*([f] for f in FILES), ["shop/account.yaml", "tools/edit.yaml"]]


@pytest.mark.parametrize(
    ("changed", "without"),
    [
        pytest.param(changed, without, id=f"{changed}-{'without' if without else 'with'}-cilium")
        for without in (None, CILIUM)
        for changed in CHANGES
        if without not in changed  # a file left out of the bundle cannot be the changed one
    ],
)
def test_a_focused_run_reports_what_a_full_run_reports_for_the_changed_files(
    changed: list[str], without: str | None
) -> None:
    scope = ChangeScope.of(changed)
    rules = load_rules()
    full = scope.restrict(run(rules, None, without))
    focused = scope.restrict(run(rules, scope, without))
    assert focused.findings == full.findings
    assert focused.errors == full.errors == []


@pytest.mark.parametrize(
    ("changed", "judged"),
    [
        ("shop/api.yaml", ["Deployment shop/api"]),
        ("shop/account.yaml", ["Deployment shop/api"]),
        ("shop/egress.yaml", ["Deployment shop/api"]),
        # The RoleBinding of ops grants to an account of shop.
        ("ops/secrets.yaml", ["Deployment shop/api"]),
        ("batch/runner.yaml", ["Job batch/runner"]),
        # Cluster-scoped RBAC reaches the namespaces of the accounts it is granted to,
        # through the aggregated ClusterRole for the role written in pod-exec.yaml.
        ("cluster/pod-exec.yaml", ["Job batch/runner"]),
        ("cluster/operators.yaml", ["Job batch/runner"]),
        ("tools/edit.yaml", ["Deployment web/frontend"]),
        ("web/frontend.yaml", ["Deployment web/frontend"]),
        # A cluster-wide network policy can select any pod.
        (CILIUM, ["Deployment shop/api", "Job batch/runner", "Deployment web/frontend"]),
    ],
)
def test_only_the_workloads_a_change_can_affect_are_judged(changed: str, judged: list[str]) -> None:
    JudgedWorkloads.seen.clear()
    run(RuleSet((JudgedWorkloads(),)), ChangeScope.of([changed]))
    assert sorted(JudgedWorkloads.seen) == sorted(judged)
    JudgedWorkloads.seen.clear()
    run(RuleSet((JudgedWorkloads(),)), None)
    assert len(JudgedWorkloads.seen) == 3


def test_a_changed_service_account_alone_reports_the_workload_it_decides_in_an_unchanged_file() -> None:
    command = ["lint", "--no-cache", "--changed-only", "--select", "TL001,TL201", "--format", "json"]
    done = CliRunner().invoke(app, [*command, "shop/account.yaml"])
    assert done.exit_code == 1, done.output
    found = [
        (f["rule"], f["resource"]["kind"], f["resource"]["name"], f["location"]["path"], f["location"]["line"])
        for f in json.loads(done.output)["findings"]
    ]
    assert found == [
        ("TL001", "Deployment", "api", "shop/api.yaml", 12),
        ("TL201", "Deployment", "api", "shop/api.yaml", 12),
    ]
    tl001 = json.loads(done.output)["findings"][0]
    assert [(r["location"]["path"], r["location"]["line"]) for r in tl001["related"]] == [("shop/account.yaml", 4)]
