"""The HTML report: one self-contained page a person opens offline.

Everything is inline (style, the small filter script, the attack graph as SVG) and a
Content-Security-Policy forbids the page every other source, so opening it never
reaches the network and markup that slipped through escaping could not run. The same
run gives the same bytes: no timestamp, ids numbered in report order.

The content is plain HTML that reads without scripts: a summary, the attack graph with
a table of its chains as its text alternative, the findings grouped by file. The script
only adds the severity and rule filters. Reporters never decide: the page shows what
the result holds (findings, their chains and scenarios, errors, counts).
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from itertools import groupby
from typing import TYPE_CHECKING

from tokenlint import __version__
from tokenlint.model import Finding, InputError, Location, Severity
from tokenlint.report.graph import Chain, build_graph, chains_of_findings, chains_of_view
from tokenlint.report.result import Report
from tokenlint.report.svg import SYMBOL, render_svg
from tokenlint.report.text import summary

if TYPE_CHECKING:  # the paths view's modules load only for 'paths'
    from tokenlint.report.pathsview import PathsView


_STYLE = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;
--critical:#8b0a50;--high:#b42318;--medium:#8a5a00;--low:#0b5cad;--info:#57606a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header,main,nav{max-width:1280px;margin:0 auto;padding:0 16px}
h1{font-size:1.6rem;margin:16px 0 4px}h2{font-size:1.3rem;margin:28px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:20px 0 6px;word-break:break-all}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.summary-tables{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.summary-tables table{width:auto;min-width:220px}
.sev{font-weight:700;white-space:nowrap}
.sev.critical{color:var(--critical)}.sev.high{color:var(--high)}.sev.medium{color:var(--medium)}
.sev.low{color:var(--low)}.sev.info{color:var(--info)}
tr.finding td:first-child{border-left:6px solid var(--line)}
tr.critical td:first-child{border-left-color:var(--critical)}tr.high td:first-child{border-left-color:var(--high)}
tr.medium td:first-child{border-left-color:var(--medium)}tr.low td:first-child{border-left-color:var(--low)}
tr:target{outline:3px solid #0969da}
ol.steps,ul.steps{margin:4px 0 0;padding-left:22px}.muted{color:var(--muted)}
.graph-wrap{overflow:auto;border:1px solid var(--line);background:var(--soft);max-height:80vh}
svg.graph{display:block;font:12px system-ui,sans-serif}
svg.graph rect{fill:#fff;stroke:#6e7781;stroke-width:1.2;stroke-dasharray:4 3}
svg.graph .critical rect{stroke:var(--critical);stroke-width:3;stroke-dasharray:none;fill:#fdf0f6}
svg.graph .high rect{stroke:var(--high);stroke-width:1.6}
svg.graph .origin rect{rx:14}
svg.graph .name{font-weight:600;fill:var(--fg)}svg.graph .where{fill:var(--muted)}
svg.graph a:hover rect,svg.graph a:focus rect{fill:#ddf4ff}
svg.graph .edge{fill:none;stroke:#8c959f;stroke-width:1.2;stroke-dasharray:5 4}
svg.graph .edge.critical{stroke:var(--critical);stroke-width:3;stroke-dasharray:none}
svg.graph marker path{fill:#57606a}
.legend{display:flex;flex-wrap:wrap;gap:4px 20px;margin:6px 0;padding:0;list-style:none}
form.filters{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:center;padding:8px;background:var(--soft);
border:1px solid var(--line)}
form.filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 12px}
[hidden]{display:none!important}
@media (max-width:700px){
table.stack thead{position:absolute;left:-9999px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{margin-bottom:10px;border:1px solid var(--line)}
table.stack td{border:0;border-bottom:1px solid var(--soft)}
table.stack td::before{content:attr(data-head) ": ";font-weight:600}
}
"""

_SCRIPT = """(function(){
var form=document.getElementById("filters");if(!form)return;
var rows=document.querySelectorAll("tr.finding"),files=document.querySelectorAll("section.file");
var status=document.getElementById("filter-status");form.hidden=false;
function apply(){var on={};form.querySelectorAll("input[name=severity]").forEach(function(b){on[b.value]=b.checked;});
var rule=form.elements.rule.value,shown=0;
rows.forEach(function(r){var ok=on[r.dataset.severity]&&(!rule||r.dataset.rule===rule);r.hidden=!ok;if(ok)shown++;});
files.forEach(function(s){s.hidden=!s.querySelector("tr.finding:not([hidden])");});
status.textContent=shown+" of "+rows.length+" findings shown";}
function reveal(){var t=location.hash&&document.getElementById(location.hash.slice(1));
if(t&&t.closest("[hidden]")){form.reset();apply();t.scrollIntoView();}}
form.addEventListener("change",apply);form.addEventListener("reset",function(){setTimeout(apply,0);});
window.addEventListener("hashchange",reveal);apply();})();"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; img-src data:"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _place(location: Location) -> str:
    return f"{location.path}:{location.line}:{location.column}"


def _severity(severity: Severity) -> str:
    return f'<span class="sev {severity.label}">{SYMBOL[severity]} {severity.label}</span>'


def _page(title: str, headline: str, sections: Iterable[tuple[str, str, str]], script: bool) -> str:
    """The document around ``sections`` (id, heading, body HTML), with a table of contents."""
    parts = list(sections)
    nav = "".join(f'<li><a href="#{sid}">{_e(head)}</a></li>' for sid, head, _ in parts)
    body = "".join(
        f'<section id="{sid}" aria-labelledby="{sid}-h"><h2 id="{sid}-h">{_e(head)}</h2>{html}</section>'
        for sid, head, html in parts
    )
    csp = _CSP if script else "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="generator" content="tokenlint {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(headline)}</p></header>"
        f'<nav aria-label="Contents"><ul class="legend">{nav}</ul></nav>'
        f"<main>{body}</main>" + (f"<script>{_SCRIPT}</script>" if script else "") + "</body></html>\n"
    )


def _table(
    caption: str, heads: Sequence[str], rows: Iterable[Sequence[str]], stack: bool = False, ids: str = ""
) -> str:
    """A table with a caption and column headers; cells are HTML already escaped.

    A ``stack`` table turns into one block per row in a narrow window, each cell named by its
    header; with ``ids``, row N (from 1) gets the id ``{ids}-N`` for links to land on.
    """
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in heads)
    body = "".join(
        (f'<tr id="{ids}-{n}">' if ids else "<tr>")
        + "".join(f'<td data-head="{_e(h)}">{c}</td>' for h, c in zip(heads, row, strict=True))
        + "</tr>"
        for n, row in enumerate(rows, start=1)
    )
    klass = ' class="stack"' if stack else ""
    return f"<table{klass}><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _errors(errors: Sequence[InputError]) -> str:
    if not errors:
        return "<p>No input errors.</p>"
    rows = [
        (f"<code>{_e(e.path + (f':{e.line}:{e.column or 1}' if e.line else ''))}</code>", _e(e.message)) for e in errors
    ]
    caption = f"{_count(len(errors), 'input error')} (exit status 2)"
    return _table(caption, ("Location", "Message"), rows, stack=True)


def _summary(report: Report) -> str:
    result = report.result
    counted = [f for f in result.findings if not f.suppressed]
    by_severity = Counter(f.severity for f in counted)
    severity_rows = [(_severity(s), str(by_severity[s])) for s in sorted(Severity, reverse=True)]
    suppressed = len(result.findings) - len(counted)
    rules: dict[str, tuple[str, Severity, int]] = {}
    for f in counted:
        name, worst, count = rules.get(f.rule, (f.name, f.severity, 0))
        rules[f.rule] = (name, max(worst, f.severity), count + 1)
    rule_rows = [
        (f"<code>{_e(rule)}</code>", _e(name), _severity(worst), str(count))
        for rule, (name, worst, count) in sorted(rules.items())
    ]
    inputs = [
        ("files", result.files),
        ("documents", result.documents),
        ("resources", result.resources),
        ("skipped (no apiVersion/kind)", result.skipped),
        ("files with findings", len({f.location.path for f in report.visible()})),
        ("suppressed findings", suppressed),
    ]
    scenarios = Counter(s for f in report.visible() for s in f.scenarios)
    out = [
        f"<p>{_e(summary(report))}. Exit status {report.exit_code()} (fails on {report.fail_on.label} and above).</p>",
        '<div class="summary-tables">',
        _table("Findings by severity", ("Severity", "Findings"), severity_rows),
        _table("Findings by rule", ("Rule", "Name", "Highest severity", "Findings"), rule_rows, stack=True),
        _table("Inputs", ("Read", "Count"), [(_e(k), str(v)) for k, v in inputs]),
        "</div>",
        "<h3>Scenarios and overlays</h3>",
        _table(
            "Findings per scenario (a finding of several scenarios counts in each)",
            ("Scenario", "Findings"),
            [(f"<code>{_e(name)}</code>", str(n)) for name, n in sorted(scenarios.items())],
        )
        if scenarios
        else "<p>Every finding holds in every input read (no chart values scenario or overlay).</p>",
        "<h3>Errors</h3>",
        _errors(result.errors),
    ]
    return "".join(out)


def _chain_steps(chain: Chain) -> str:
    items = []
    for step in chain.steps:
        where = f' <code class="muted">{_e(_place(step.location))}</code>' if step.location else ""
        items.append(f"<li>{_e(step.label)}{where}</li>")
    return f'<ol class="steps">{"".join(items)}</ol>'


def _graph(chains: Sequence[Chain], links: dict[tuple[str, int, int], str], what: str) -> str:
    """The picture, its legend, and the table of chains that says the same in words."""
    if not chains:
        return f"<p>No {what} reaches a capability: there is no attack path to draw.</p>"
    graph = build_graph(chains, links)
    critical = sum(1 for c in chains if c.severity is Severity.CRITICAL)
    title = (
        f"Attack graph: {_count(len(chains), what)} from the pods that get a token"
        f" to what the token can do, {critical} critical"
    )
    findings = any(c.anchor for c in chains)
    target = "its finding" if findings else "its chain in the table below"
    legend = (
        '<ul class="legend" aria-label="Legend">'
        "<li>Columns, left to right: workloads, service accounts, bindings, roles, capabilities.</li>"
        f"<li>{_severity(Severity.CRITICAL)}: thick solid lines, drawn first (at the top).</li>"
        f"<li>{_severity(Severity.HIGH)} and lower: thin dashed lines.</li>"
        f"<li>Each box links to {target} and shows its file and line where the input has one.</li></ul>"
    )
    rows = []
    for i, chain in enumerate(chains, start=1):
        where = f"<p>Scenarios: {_e(', '.join(chain.scenarios))}</p>" if chain.scenarios else ""
        row = [str(i), _severity(chain.severity), _e(chain.title) + where + _chain_steps(chain)]
        if findings:
            row.append(f'<a href="#{_e(chain.anchor)}">finding</a>' if chain.anchor else "")
        rows.append(row)
    heads = ("#", "Severity", "Chain", "Finding")[: 4 if findings else 3]
    table = _table(f"{_count(len(chains), what)} of the graph, in drawing order", heads, rows, True, "chain")
    return (
        f"<p>{_e(title)}. {len(graph.nodes)} boxes; workloads of one account are drawn as one box from"
        " three on.</p>"
        f"{legend}"
        f'<div class="graph-wrap" role="region" aria-label="Attack graph (scrolls)" tabindex="0">'
        f"{render_svg(graph, title)}</div><h3>Chains</h3>{table}"
    )


def _finding_row(finding: Finding, anchor: str) -> str:
    details = []
    if finding.scenarios:
        details.append(f"<p>Scenarios: {_e(', '.join(finding.scenarios))}</p>")
    if finding.location.note:
        details.append(f'<p class="muted">Note: {_e(finding.location.note)}</p>')
    if finding.related:
        tag = "ol" if finding.chain else "ul"
        steps = "".join(
            f'<li>{_e(r.message)} <code class="muted">{_e(_place(r.location))}</code></li>' for r in finding.related
        )
        details.append(f'<{tag} class="steps">{steps}</{tag}>')
    if finding.suppression is not None:
        s = finding.suppression
        details.append(f"<p><strong>Suppressed</strong> ({_e(s.kind)}): {_e(s.justification)}</p>")
    sev = finding.severity.label
    return (
        f'<tr id="{anchor}" class="finding {sev}" data-severity="{sev}" data-rule="{_e(finding.rule)}">'
        f'<td data-head="Location"><code class="loc">{_e(_place(finding.location))}</code></td>'
        f'<td data-head="Severity">{_severity(finding.severity)}</td>'
        f'<td data-head="Rule"><code class="rule">{_e(finding.rule)}</code> {_e(finding.name)}</td>'
        f'<td data-head="Resource">{_e(finding.resource.display())}</td>'
        f'<td data-head="Message">{_e(finding.message)}{"".join(details)}</td></tr>'
    )


def _filters(findings: Sequence[Finding]) -> str:
    present = sorted({f.severity for f in findings}, reverse=True)
    boxes = "".join(
        f'<label><input type="checkbox" name="severity" value="{s.label}" checked> {_e(s.label)}</label>'
        for s in present
    )
    rules = "".join(f'<option value="{_e(r)}">{_e(r)}</option>' for r in sorted({f.rule for f in findings}))
    return (
        '<form id="filters" class="filters" hidden aria-label="Filter findings">'
        f"<fieldset><legend>Severity</legend>{boxes}</fieldset>"
        f'<label>Rule <select name="rule"><option value="">all rules</option>{rules}</select></label>'
        '<button type="reset">Show all</button></form>'
        '<p id="filter-status" class="muted" aria-live="polite"></p>'
    )


def _findings(findings: Sequence[Finding], anchors: dict[int, str]) -> str:
    if not findings:
        return "<p>No findings.</p>"
    out = [_filters(findings)]
    heads = "".join(f'<th scope="col">{h}</th>' for h in ("Location", "Severity", "Rule", "Resource", "Message"))
    for n, (path, group) in enumerate(groupby(findings, key=lambda f: f.location.path)):
        items = list(group)
        rows = "".join(_finding_row(f, anchors[id(f)]) for f in items)
        out.append(
            f'<section class="file" aria-labelledby="file-{n}"><h3 id="file-{n}"><code>{_e(path)}</code></h3>'
            f'<table class="findings stack"><caption>{_count(len(items), "finding")} in'
            f" <code>{_e(path)}</code></caption><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table></section>"
        )
    return "".join(out)


def format_html(report: Report) -> str:
    """The lint report as one page: summary, attack graph, findings by file."""
    findings = report.visible()
    anchors = {id(f): f"f{i}" for i, f in enumerate(findings, start=1)}
    links: dict[tuple[str, int, int], str] = {}
    for f in findings:
        links.setdefault((f.location.path, f.location.line, f.location.column), anchors[id(f)])
    chains = chains_of_findings(findings, anchors)
    sections = [
        ("summary", "Summary", _summary(report)),
        ("graph", "Attack paths", _graph(chains, links, "chain")),
        ("findings", "Findings by file", _findings(findings, anchors)),
    ]
    return _page("tokenlint report", summary(report), sections, script=bool(findings))


def format_paths_html(view: PathsView) -> str:
    """The paths view as one page: what each token reaches, drawn, and the accounts in a table."""
    chains = chains_of_view(view)
    reaching = [a for a in view.accounts if a.reaches]
    rows = []
    for account in reaching:
        carriers = "".join(
            f"<li>{_e(c.display())} ({_e(c.how)}) <code>{_e(_place(c.location))}</code></li>" for c in account.carriers
        )
        reaches = "".join(
            f"<li>{_e(r.capability)} {_e(r.title)}, {_e(r.where)}: {_e(r.binding)} \u2192 {_e(r.role)}"
            f" <code>{_e(_place(r.location))}</code></li>"
            for r in account.reaches
        )
        note = "" if account.defined else " (not in the input)"
        rows.append(
            (
                f"{_e(f'ServiceAccount {account.namespace}/{account.name}')}{_e(note)}",
                f'<ul class="steps">{carriers}</ul>' if carriers else "no workload in the input",
                f'<ul class="steps">{reaches}</ul>',
            )
        )
    headline = (
        f"{len(view.accounts)} service accounts, {len(reaching)} of them reach a capability;"
        f" {_count(len(view.errors), 'input error')}"
    )
    sections = [
        ("summary", "Summary", f"<p>{_e(headline)}.</p><h3>Errors</h3>{_errors(view.errors)}"),
        ("graph", "Attack paths", _graph(chains, {}, "path")),
        (
            "accounts",
            "Service accounts that reach a capability",
            _table(
                "Accounts, who carries their token, what it reaches", ("Account", "Carried by", "Reaches"), rows, True
            )
            if rows
            else "<p>None.</p>",
        ),
    ]
    return _page("tokenlint paths", headline, sections, script=False)
