"""The attack graph of the HTML report, built from real lint and paths runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenlint.engine.run import lint
from tokenlint.inputs.discover import discover
from tokenlint.model import Finding, Location, Severity
from tokenlint.report.graph import Chain, Step, build_graph, chains_of_findings, chains_of_view
from tokenlint.report.pathsview import collect
from tokenlint.rulekit.registry import load_rules

HERE = Path(__file__).parent


@pytest.fixture
def findings(monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    monkeypatch.chdir(HERE)
    return lint(discover(["chains"]), load_rules()).findings


def anchors_of(findings: list[Finding]) -> dict[int, str]:
    return {id(f): f"f{i}" for i, f in enumerate(findings, start=1)}


def test_chains_come_from_chain_findings_worst_first(findings: list[Finding]) -> None:
    chains = chains_of_findings(findings, anchors_of(findings))
    assert [(c.severity, c.steps[0].label) for c in chains] == [
        (Severity.CRITICAL, "Deployment platform/rollout-controller"),
        (Severity.CRITICAL, "Deployment platform/canary-analyzer"),
        (Severity.CRITICAL, "StatefulSet platform/release-db"),
        (Severity.CRITICAL, "CronJob platform/nightly-sync"),
        (Severity.HIGH, "Job shop/sales-report"),
    ]
    first = chains[0]
    assert [(s.label, s.location.path, s.location.line) for s in first.steps if s.location] == [
        ("Deployment platform/rollout-controller", "chains/workloads.yaml", 20),
        ("ServiceAccount platform/deployer", "chains/workloads.yaml", 7),
        ("ClusterRoleBinding deployer-platform-admin", "chains/rbac.yaml", 26),
        ("ClusterRole platform-admin", "chains/rbac.yaml", 4),
        ("TL103 run commands in pods, cluster-wide", "chains/rbac.yaml", 16),
    ]
    tl201 = next(f for f in findings if f.rule == "TL201")
    assert first.anchor == anchors_of(findings)[id(tl201)]
    assert first.title == tl201.message


def test_workloads_of_one_account_become_one_node_with_their_count(findings: list[Finding]) -> None:
    anchors = anchors_of(findings)
    links = {(f.location.path, f.location.line, f.location.column): anchors[id(f)] for f in reversed(findings)}
    graph = build_graph(chains_of_findings(findings, anchors), links)
    assert [(n.label, n.severity, n.origin) for n in graph.nodes] == [
        ("4 workloads", Severity.CRITICAL, True),
        ("ServiceAccount platform/deployer", Severity.CRITICAL, False),
        ("ClusterRoleBinding deployer-platform-admin", Severity.CRITICAL, False),
        ("ClusterRole platform-admin", Severity.CRITICAL, False),
        ("TL103 run commands in pods, cluster-wide", Severity.CRITICAL, False),
        ("Job shop/sales-report", Severity.HIGH, True),
        ("ServiceAccount shop/reporter", Severity.HIGH, False),
        ("RoleBinding shop/reporter-reads-secrets", Severity.HIGH, False),
        ("Role shop/report-reader", Severity.HIGH, False),
        ("TL101 read secrets, in namespace shop", Severity.HIGH, False),
    ]
    group = graph.nodes[0]
    assert group.kind == "Deployment, StatefulSet, CronJob"
    assert [m.label for m in group.members] == [
        "Deployment platform/rollout-controller",
        "Deployment platform/canary-analyzer",
        "StatefulSet platform/release-db",
        "CronJob platform/nightly-sync",
    ]
    assert [(e.source, e.target, e.severity) for e in graph.edges] == [
        ("n0", "n1", Severity.CRITICAL),
        ("n1", "n2", Severity.CRITICAL),
        ("n2", "n3", Severity.CRITICAL),
        ("n3", "n4", Severity.CRITICAL),
        ("n5", "n6", Severity.HIGH),
        ("n6", "n7", Severity.HIGH),
        ("n7", "n8", Severity.HIGH),
        ("n8", "n9", Severity.HIGH),
    ]
    # A node links to the finding at its own place: the capability to its TL1xx finding.
    by_anchor = {anchors[id(f)]: f for f in findings}
    capability = by_anchor[graph.nodes[4].href]
    assert (capability.rule, capability.location.line) == ("TL103", 16)
    # Places without a finding of their own link to the chain's finding.
    assert by_anchor[graph.nodes[1].href].rule == "TL201"


def test_two_workloads_stay_two_nodes() -> None:
    tail = (Step("sa", "ServiceAccount", "ns/sa", None), Step("cap", "", "TL101 read secrets", None))
    chains = [Chain((Step(w, "Deployment", w, None), *tail), Severity.HIGH, w) for w in ("a", "b")]
    graph = build_graph(chains)
    assert [n.label for n in graph.nodes] == [
        "Deployment a",
        "ServiceAccount ns/sa",
        "TL101 read secrets",
        "Deployment b",
    ]
    assert [n.href for n in graph.nodes] == ["chain-1", "chain-1", "chain-1", "chain-2"]


def test_a_step_on_the_resource_before_it_is_a_place_of_its_own() -> None:
    role = Location("rbac.yaml", 4, 3)
    rule = Location("rbac.yaml", 10, 5)
    finding_steps = (
        Step("Role|ns|r", "Role", "ns/r", role),
        Step("Role|ns|r@rbac.yaml:10:5", "", "TL101 read secrets", rule),
    )
    graph = build_graph([Chain(finding_steps, Severity.HIGH, "t")])
    assert len(graph.nodes) == 2


def test_the_paths_view_draws_the_same_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    chains = chains_of_view(collect(discover(["chains"])))
    assert [(c.severity, [s.label for s in c.steps]) for c in chains][-1] == (
        Severity.HIGH,
        [
            "Job shop/sales-report",
            "ServiceAccount shop/reporter",
            "RoleBinding shop/reporter-reads-secrets",
            "Role shop/report-reader",
            "TL101 read secrets, in namespace shop",
        ],
    )
    assert [c.severity for c in chains] == [Severity.CRITICAL] * 4 + [Severity.HIGH]
    graph = build_graph(chains)
    assert [n.label for n in graph.nodes][:2] == ["4 workloads", "ServiceAccount platform/deployer"]
    where = graph.nodes[-1].location
    assert where is not None
    assert (where.path, where.line, where.column) == ("chains/rbac.yaml", 36, 5)
