"""Renderers of the ``tokenlint paths`` view: text, JSON, Graphviz DOT and Mermaid.

Pure functions of :class:`~tokenlint.report.pathsview.PathsView`. The graph they draw is
workload -> service account -> capability, each capability edge labelled with the
binding and role that grant it; DOT and Mermaid are meant for documentation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tokenlint.model import Location
from tokenlint.report.html import format_paths_html
from tokenlint.report.json import error_json, location_json
from tokenlint.report.pathsview import Account, Carrier, PathsView, Reached


def at(location: Location) -> str:
    return f"{location.path}:{location.line}"


def format_text(view: PathsView) -> str:
    out = [f"{e.path}:{e.line or 0}: error {e.message}" for e in view.errors]
    for account in view.accounts:
        note = "" if account.defined else " (not in the input)"
        out.append(f"ServiceAccount {account.namespace}/{account.name}{note}")
        out.append("  carried by: " + ("nothing" if not account.carriers else ""))
        out.extend(f"    {c.display()} ({c.how}, {at(c.location)})" for c in account.carriers)
        out.append("  reaches: " + ("nothing in this bundle" if not account.reaches else ""))
        out.extend(
            f"    {r.capability} {r.title}, {r.where}: {r.binding} -> {r.role} -> {r.rule} ({at(r.location)})"
            for r in account.reaches
        )
        out.extend(f"  unknown: {u}" for u in account.unknown)
        out.append("")
    out.append(f"{len(view.accounts)} service account{'' if len(view.accounts) == 1 else 's'}")
    return "\n".join(line.rstrip() for line in out) + "\n"


def _reached_json(r: Reached) -> dict[str, Any]:
    return {
        "capability": r.capability,
        "title": r.title,
        "scope": r.scope,
        "binding": r.binding,
        "subject": r.subject,
        "role": r.role,
        "rule": r.rule,
        "location": location_json(r.location),
    }


def carrier_json(c: Carrier) -> dict[str, Any]:
    """A workload that carries a token, as the paths and who-can views write it."""
    return {
        "kind": c.kind,
        "namespace": c.namespace,
        "name": c.name,
        "how": c.how,
        "location": location_json(c.location),
    }


def _account_json(a: Account) -> dict[str, Any]:
    return {
        "namespace": a.namespace,
        "name": a.name,
        "inInput": a.defined,
        "workloads": [carrier_json(c) for c in a.carriers],
        "reaches": [_reached_json(r) for r in a.reaches],
        "unknown": a.unknown,
    }


def format_json(view: PathsView) -> str:
    payload = {
        "version": 1,
        "accounts": [_account_json(a) for a in view.accounts],
        "errors": [error_json(e) for e in view.errors],
    }
    return json.dumps(payload, indent=2) + "\n"


def _nodes(view: PathsView) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(id, label, shape) nodes and (from, to, label) edges, shared by DOT and Mermaid."""
    nodes: dict[str, tuple[str, str]] = {}
    capabilities: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for account in view.accounts:
        if not account.carriers and not account.reaches:
            continue
        sa = f"sa_{len(nodes)}"
        nodes[sa] = (f"ServiceAccount {account.namespace}/{account.name}", "account")
        for carrier in account.carriers:
            wid = f"w_{len(nodes)}"
            nodes[wid] = (carrier.display(), "workload")
            edges.append((wid, sa, carrier.how))
        for r in account.reaches:
            label = f"{r.capability} {r.title} ({'cluster' if r.scope is None else r.scope})"
            cid = capabilities.get(label)
            if cid is None:
                cid = capabilities[label] = f"c_{len(nodes)}"
                nodes[cid] = (label, "capability")
            edges.append((sa, cid, f"{r.binding} / {r.role}"))
    return [(k, text, shape) for k, (text, shape) in nodes.items()], list(dict.fromkeys(edges))


_DOT_SHAPES = {"workload": "box", "account": "ellipse", "capability": "octagon"}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_dot(view: PathsView) -> str:
    nodes, edges = _nodes(view)
    out = ["digraph tokenlint_paths {", "  rankdir=LR;"]
    out.extend(f"  {n} [label={_quote(text)}, shape={_DOT_SHAPES[shape]}];" for n, text, shape in nodes)
    out.extend(f"  {a} -> {b} [label={_quote(label)}];" for a, b, label in edges)
    out.append("}")
    return "\n".join(out) + "\n"


_MERMAID_SHAPES = {"workload": ("[", "]"), "account": ("([", "])"), "capability": ("{{", "}}")}


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def format_mermaid(view: PathsView) -> str:
    nodes, edges = _nodes(view)
    out = ["flowchart LR"]
    for n, text, shape in nodes:
        left, right = _MERMAID_SHAPES[shape]
        out.append(f"  {n}{left}{_mermaid_text(text)}{right}")
    out.extend(f"  {a} -->|{_mermaid_text(label)}| {b}" for a, b, label in edges)
    return "\n".join(out) + "\n"


PATHS_FORMATTERS: dict[str, Callable[[PathsView], str]] = {
    "text": format_text,
    "json": format_json,
    "dot": format_dot,
    "mermaid": format_mermaid,
    "html": format_paths_html,
}
