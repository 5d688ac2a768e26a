"""Renderers of the paths view: text, JSON, DOT and Mermaid over one fixed bundle."""

from __future__ import annotations

import json
from pathlib import Path

from tokenlint.inputs.discover import discover
from tokenlint.report.paths import PATHS_FORMATTERS
from tokenlint.report.pathsview import collect

CHAIN = Path(__file__).parents[1] / "rules" / "TL201" / "fail-three-files"


def render(output_format: str) -> str:
    return PATHS_FORMATTERS[output_format](collect(discover([str(CHAIN)])))


def test_paths_text() -> None:
    lines = render("text").splitlines()
    assert lines[0] == "ServiceAccount shop/api (not in the input)"
    assert lines[2].startswith("    Deployment shop/api (automount, ")
    assert lines[4].startswith(
        "    TL101 read secrets, cluster-wide: ClusterRoleBinding api-reads-secrets -> ClusterRole secret-reader"
        " -> ClusterRole secret-reader rules[1]: get, list on secrets ("
    )
    assert lines[-1] == "1 service account"


def test_paths_json() -> None:
    data = json.loads(render("json"))
    assert data["version"] == 1
    (account,) = data["accounts"]
    assert [w["name"] for w in account["workloads"]] == ["api"]
    assert [(r["capability"], r["scope"], r["location"]["line"]) for r in account["reaches"]] == [("TL101", None, 9)]


def test_paths_dot_and_mermaid_draw_the_same_graph() -> None:
    assert render("dot").splitlines() == [
        "digraph tokenlint_paths {",
        "  rankdir=LR;",
        '  sa_0 [label="ServiceAccount shop/api", shape=ellipse];',
        '  w_1 [label="Deployment shop/api", shape=box];',
        '  c_2 [label="TL101 read secrets (cluster)", shape=octagon];',
        '  w_1 -> sa_0 [label="automount"];',
        '  sa_0 -> c_2 [label="ClusterRoleBinding api-reads-secrets / ClusterRole secret-reader"];',
        "}",
    ]
    assert render("mermaid").splitlines() == [
        "flowchart LR",
        '  sa_0(["ServiceAccount shop/api"])',
        '  w_1["Deployment shop/api"]',
        '  c_2{{"TL101 read secrets (cluster)"}}',
        '  w_1 -->|"automount"| sa_0',
        '  sa_0 -->|"ClusterRoleBinding api-reads-secrets / ClusterRole secret-reader"| c_2',
    ]
