"""The HTML report and paths page: self-contained, deterministic, escaped, complete."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from manifests import HOSTILE
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.engine.run import lint
from tokenlint.inputs.discover import discover
from tokenlint.report.html import format_html, format_paths_html
from tokenlint.report.pathsview import collect
from tokenlint.report.result import Report
from tokenlint.report.svg import SYMBOL
from tokenlint.rulekit.registry import load_rules

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def report_of(path: str, **options: bool) -> str:
    return format_html(Report(lint(discover([path]), load_rules()), load_rules(), **options))


@pytest.fixture
def in_formatters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    return report_of("examples/acme-shop")


def test_markup_in_the_input_is_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    page = report_of("hostile.yaml")
    elements = parse(page)
    assert [tag for tag, _ in elements.tags if tag in ("script", "img", "b")] == ["script"]
    assert not [attrs for _, attrs in elements.tags if any(name.startswith("on") for name in attrs)]
    assert [attrs.get("class") for tag, attrs in elements.tags if tag == "svg"][:1] == ["graph"]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # the workload, in the findings and the graph
    assert "&lt;svg onload=alert(4)&gt;" in page  # the binding, a node of the chain
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script>alert" not in page
    paths = format_paths_html(collect(discover(["hostile.yaml"])))
    assert [tag for tag, _ in parse(paths).tags if tag in ("script", "img", "b")] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in paths


def test_the_page_is_self_contained(acme: str) -> None:
    elements = parse(acme)
    assert not re.search(r"(?i)(https?|ftp|wss?|file):|//[a-z0-9.-]+\.[a-z]{2,}/", acme)
    assert not [attrs for _, attrs in elements.tags if "src" in attrs]
    links = [attrs["href"] for tag, attrs in elements.tags if tag == "a"]
    assert links
    assert all(href and href.startswith("#") for href in links)
    ids = {attrs["id"] for _, attrs in elements.tags if attrs.get("id")}
    assert {href[1:] for href in links if href} <= ids  # every link lands in the page
    assert set(re.findall(r"url\([^)]*\)", acme)) == {"url(#arrow)"}
    assert "@import" not in acme
    assert "@font-face" not in acme


def test_the_content_security_policy_allows_only_the_page_s_own_script(acme: str) -> None:
    elements = parse(acme)
    (policy,) = [a["content"] for t, a in elements.tags if t == "meta" and a.get("http-equiv")]
    (script,) = elements.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy == f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"


def test_the_same_input_gives_the_same_bytes(acme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert report_of("examples/acme-shop") == acme
    assert not re.search(r"\b20\d\d-\d\d-\d\d", acme)


def test_summary_counts_and_every_finding_by_file(acme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint(discover(["examples/acme-shop"]), load_rules())
    text = re.sub(r"<[^>]+>", "", re.sub(r"</td><td[^>]*>", "|", acme))
    # The example's findings are the engine's (tests/test_examples.py pins them); the page counts them.
    by_severity = Counter(f.severity for f in result.findings)
    for severity, symbol in SYMBOL.items():
        assert f"{symbol} {severity.label}|{by_severity[severity]}" in text
    tl004 = [f for f in result.findings if f.rule == "TL004"]
    worst = max(f.severity for f in tl004)
    assert f"TL004|rbac-wildcard-resource|{SYMBOL[worst]} {worst.label}|{len(tl004)}" in text
    assert "files|4" in text
    assert "resources|8" in text
    assert "No input errors." in text
    rows = re.findall(r'<tr id="(f\d+)" class="finding (\w+)" data-severity="\w+" data-rule="(TL\d+)">(.*?)</tr>', acme)
    assert [(sev, rule) for _, sev, rule, _ in rows] == [(f.severity.label, f.rule) for f in result.findings]
    for (_, _, _, row), finding in zip(rows, result.findings, strict=True):
        loc = finding.location
        assert f'<code class="loc">{loc.path}:{loc.line}:{loc.column}</code>' in row
    headings = re.findall(r'<h3 id="file-\d+"><code>([^<]+)</code></h3>', acme)
    assert headings == [
        "examples/acme-shop/api.yaml",
        "examples/acme-shop/rbac.yaml",
        "examples/acme-shop/reports.yaml",
    ]


def test_the_graph_shows_the_chain_from_the_api_pod_to_the_secrets(acme: str) -> None:
    svg = acme[acme.index("<svg") : acme.index("</svg></div>")]
    labels = re.findall(r'class="node \w+ \w+" id="node-(n\d)" data-label="([^"]+)"><a href="#(f\d+)"', svg)
    assert labels == [
        ("n0", "Deployment acme-prod/api", "f3"),
        ("n1", "ServiceAccount acme-prod/api", "f3"),
        ("n2", "RoleBinding acme-prod/api-config-reader", "f3"),
        ("n3", "Role acme-prod/api-config-reader", "f3"),
        ("n4", "TL101 read secrets, in namespace acme-prod", "f5"),
    ]
    assert re.findall(r'data-from="(n\d)" data-to="(n\d)"', svg) == [
        ("n0", "n1"),
        ("n1", "n2"),
        ("n2", "n3"),
        ("n3", "n4"),
    ]
    assert re.search(r'<tr id="f3" class="finding high" data-severity="high" data-rule="TL201">', acme)
    assert re.search(r'<tr id="f5" class="finding high" data-severity="high" data-rule="TL101">', acme)


def test_a_report_without_findings_or_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    page = report_of("examples/acme-shop-hardened")
    assert "No chain reaches a capability" in page
    assert "<p>No findings.</p>" in page
    assert "<script>" not in page
    assert "script-src" not in page


def test_suppressed_findings_are_shown_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: wild\n"
        "  annotations: {ignore.tokenlint.io/TL003: reviewed}\nrules:\n"
        "  - apiGroups: ['']\n    resources: [configmaps]\n    verbs: ['*']\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert "Suppressed" not in report_of("role.yaml")
    page = report_of("role.yaml", show_suppressed=True)
    assert "<strong>Suppressed</strong> (annotation): reviewed" in page


def test_scenarios_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    page = report_of("examples/charts/storefront")
    assert "<caption>Findings per scenario" in page
    assert '<td data-head="Scenario"><code>default</code></td><td data-head="Findings">4</td>' in page
    chains = page[page.index("<h3>Chains</h3>") : page.index('<section id="findings"')]
    assert "<p>Scenarios: default</p>" in chains


def test_cli_writes_both_pages(tmp_path: Path, in_formatters: None) -> None:
    out = tmp_path / "report.html"
    done = CliRunner().invoke(app, ["lint", "chains", "--no-cache", "--format", "html", "-o", str(out)])
    assert done.exit_code == 1
    page = out.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert page.count('class="finding ') == 17
    paths = tmp_path / "paths.html"
    done = CliRunner().invoke(app, ["paths", "chains", "--format", "html", "-o", str(paths)])
    assert done.exit_code == 0
    assert done.stdout == ""
    text = paths.read_text(encoding="utf-8")
    assert "<h1>tokenlint paths</h1>" in text
    assert 'data-label="4 workloads"' in text
    assert "<script>" not in text


def test_input_errors_are_listed_with_their_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.yaml").write_text("a: [<b>\n", encoding="utf-8")
    (tmp_path / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: wild\nrules:\n"
        "  - apiGroups: ['']\n    resources: [configmaps]\n    verbs: ['*']\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = lint(discover(["."]), load_rules())
    (error,) = result.errors
    page = format_html(Report(result, load_rules()))
    assert f'<td data-head="Location"><code>broken.yaml:{error.line}:{error.column}</code></td>' in page
    assert "<caption>1 input error (exit status 2)</caption>" in page
    assert "Exit status 2" in page
    assert 'data-rule="TL003"' in page  # the other file is still reported
    assert "<b>" not in page
