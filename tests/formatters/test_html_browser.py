"""The HTML report in a real browser: headless Chromium, offline, driven over the DevTools protocol.

Each test reads what a person would see from the DOM, records every request the page made,
and keeps a screenshot in build/test-artefacts/ (or $TOKENLINT_TEST_ARTEFACTS). Without a
``chromium`` on PATH the tests skip, except in CI (CI=true), where they fail: the browser
is part of what CI installs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from manifests import HOSTILE

from tokenlint.engine.run import lint
from tokenlint.inputs.discover import discover
from tokenlint.model import Finding
from tokenlint.rulekit.registry import load_rules

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("TOKENLINT_TEST_ARTEFACTS") or ROOT / "build" / "test-artefacts")

# What the tests read from the page, as a person would: visible text of rows and boxes.
DOM = {
    "rows": """[...document.querySelectorAll('tr.finding')].map(r => ({
        rule: r.querySelector('code.rule').textContent,
        location: r.querySelector('code.loc').textContent,
        severity: r.dataset.severity,
        shown: r.getClientRects().length > 0}))""",
    "nodes": """[...document.querySelectorAll('svg.graph g.node')].map(g => {
        const b = g.querySelector('rect').getBoundingClientRect();
        return {label: g.dataset.label, text: [...g.querySelectorAll('text')].map(t => t.textContent).join(' '),
                href: g.querySelector('a').getAttribute('href'), x: b.x, y: b.y, w: b.width, h: b.height}})""",
    "edges": """[...document.querySelectorAll('svg.graph path.edge')].map(p =>
        [document.getElementById('node-' + p.dataset.from).dataset.label,
         document.getElementById('node-' + p.dataset.to).dataset.label])""",
    "filters": "!document.getElementById('filters') || !document.getElementById('filters').hidden",
    "scripts": "document.scripts.length",
    "overflow": "document.documentElement.scrollWidth - window.innerWidth",
}


@pytest.fixture
def browser_module(load_script: Callable[[str], ModuleType]) -> ModuleType:
    """scripts/report_screenshot.py, which makes the README's picture, and its browser driver."""
    return load_script("report_screenshot")


@pytest.fixture
def chromium(browser_module: ModuleType) -> Iterator[Any]:
    binary = browser_module.find_chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: CI must install it (apt-get install chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    with browser_module.Chromium(binary) as browser:
        yield browser


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name


def findings_of(path: str) -> list[Finding]:
    return lint(discover([path]), load_rules()).findings


def load(chromium: Any, page: Path, picture: str, **options: Any) -> Any:
    options.setdefault("evaluate", DOM)
    loaded = chromium.load(page, screenshot=artefact(picture), **options)
    # Nothing left the page: its own file is the only request, and nothing failed or ran unasked.
    assert loaded.requests == [page.resolve().as_uri()]
    assert loaded.console_errors == []
    return loaded


def assert_no_overlap(nodes: list[dict[str, Any]]) -> None:
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
            assert apart or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"], (a["label"], b["label"])


def test_acme_shop_report_shows_every_finding_and_the_chain_to_the_secrets(
    chromium: Any, browser_module: ModuleType, tmp_path: Path, at_root: None
) -> None:
    page = tmp_path / "report.html"
    browser_module.report(["examples/acme-shop"], page)
    text = page.read_text(encoding="utf-8")
    assert "://" not in text  # no external URL in the file at all
    loaded = load(chromium, page, "acme-shop.png")
    expected = [
        {"rule": f.rule, "location": f"{f.location.path}:{f.location.line}:{f.location.column}"}
        for f in findings_of("examples/acme-shop")
    ]
    rows = loaded.values["rows"]
    assert [{"rule": r["rule"], "location": r["location"]} for r in rows] == expected
    assert all(r["shown"] for r in rows)
    assert loaded.values["filters"] is True  # the script ran under the page's policy
    assert loaded.values["scripts"] == 1
    nodes = loaded.values["nodes"]
    assert [n["label"] for n in nodes] == [
        "Deployment acme-prod/api",
        "ServiceAccount acme-prod/api",
        "RoleBinding acme-prod/api-config-reader",
        "Role acme-prod/api-config-reader",
        "TL101 read secrets, in namespace acme-prod",
    ]
    assert "api.yaml:24" in nodes[0]["text"]
    assert "rbac.yaml:10" in nodes[-1]["text"]
    assert loaded.values["edges"] == [[a["label"], b["label"]] for a, b in pairwise(nodes)]
    assert [n["x"] for n in nodes] == sorted(n["x"] for n in nodes)  # left to right
    assert_no_overlap(nodes)


def test_a_long_chain_with_collapsed_workloads(chromium: Any, browser_module: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "chains.html"
    browser_module.report(["tests/formatters/chains"], page)
    loaded = load(chromium, page, "chains.png")
    rows = loaded.values["rows"]
    expected = findings_of(str(ROOT / "tests" / "formatters" / "chains"))
    assert len(rows) == len(expected) == 17
    assert sorted(r["rule"] for r in rows) == sorted(f.rule for f in expected)
    assert {r["location"].split(":", 1)[0] for r in rows} == {
        "tests/formatters/chains/rbac.yaml",
        "tests/formatters/chains/workloads.yaml",
    }
    critical = [
        "4 workloads",
        "ServiceAccount platform/deployer",
        "ClusterRoleBinding deployer-platform-admin",
        "ClusterRole platform-admin",
        "TL103 run commands in pods, cluster-wide",
    ]
    nodes = loaded.values["nodes"]
    assert [n["label"] for n in nodes][:5] == critical
    assert [n["label"] for n in nodes][5:] == [
        "Job shop/sales-report",
        "ServiceAccount shop/reporter",
        "RoleBinding shop/reporter-reads-secrets",
        "Role shop/report-reader",
        "TL101 read secrets, in namespace shop",
    ]
    assert all(n["text"].startswith("\u25c6\u25c6 ") for n in nodes[:5])  # critical, not by colour alone
    assert all(n["y"] < nodes[5]["y"] for n in nodes[:5])  # the critical chain is drawn first
    chain_edges = [e for e in loaded.values["edges"] if e[0] in critical]
    assert chain_edges == [list(pair) for pair in pairwise(critical)]
    assert_no_overlap(nodes)
    # Each box links to a finding in the page.
    assert all(n["href"].startswith("#f") for n in nodes)


def test_filters_hide_rows_and_the_page_reads_without_scripts(
    chromium: Any, browser_module: ModuleType, tmp_path: Path
) -> None:
    page = tmp_path / "chains.html"
    browser_module.report(["tests/formatters/chains"], page)
    uncheck_high = """(() => {const box = document.querySelector('input[name=severity][value=high]');
        box.checked = false; box.dispatchEvent(new Event('change', {bubbles: true}));
        return [...document.querySelectorAll('tr.finding')].filter(r => r.getClientRects().length)
            .map(r => r.dataset.severity)})()"""
    loaded = load(chromium, page, "chains-filtered.png", evaluate={**DOM, "after": uncheck_high})
    assert loaded.values["after"] == ["critical"] * 4
    plain = load(chromium, page, "chains-no-script.png", scripts=False)
    assert plain.values["filters"] is False  # no dead controls without scripts
    assert all(r["shown"] for r in plain.values["rows"])
    assert len(plain.values["nodes"]) == 10


def test_a_narrow_window_scrolls_the_graph_not_the_page(
    chromium: Any, browser_module: ModuleType, tmp_path: Path
) -> None:
    page = tmp_path / "chains.html"
    browser_module.report(["tests/formatters/chains"], page)
    loaded = load(chromium, page, "chains-narrow.png", width=390)
    assert loaded.values["overflow"] <= 0
    assert all(r["shown"] for r in loaded.values["rows"])


def test_markup_from_the_input_never_runs(chromium: Any, browser_module: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    page = tmp_path / "hostile.html"
    browser_module.report([str(tmp_path / "hostile.yaml")], page)
    loaded = load(chromium, page, "hostile.png")  # an alert would be a console error
    assert loaded.values["scripts"] == 1
    labels = [n["label"] for n in loaded.values["nodes"]]
    assert labels[0] == 'Deployment "><img src=x onerror=alert(2)>/<script>alert(3)</script>'


def test_the_readme_picture_is_made_the_same_way(chromium: Any, browser_module: ModuleType, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    browser_module.report(["examples/acme-shop"], page)
    picture = artefact("readme-report.png")
    loaded = browser_module.screenshot(chromium, page, picture)
    assert loaded.requests == [page.resolve().as_uri()]
    # The committed picture is the one this run makes: same page, same size (a page that grew or
    # shrank means docs/report.png is stale: run python scripts/report_screenshot.py).
    assert png_size(ROOT / "docs" / "report.png") == png_size(picture)
    assert png_size(picture)[0] == browser_module.WIDTH


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
