"""The attack graph as inline SVG: boxes where :mod:`layout` puts them, links to the findings.

Severity is carried by words and lines, not by colour alone: every box says its severity
in text, critical boxes and edges are drawn with thick solid lines, the others with thin
dashed ones. Each box is a link to its finding in the page, and shows the file and line
of its place; its full name and location are in its tooltip (``<title>``), which screen
readers announce. Every string from the input is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePosixPath

from tokenlint.model import Location, Severity
from tokenlint.report.graph import Graph, Node
from tokenlint.report.layout import NODE_HEIGHT, NODE_WIDTH, layout

LINE_CHARS = 28
"""Characters that fit one line of a box in bold 12px. A name takes up to two lines, broken after a
``/``, ``-`` or space where it can; a longer one ends with an ellipsis (the full name is in the tooltip
and the tables, and each box is clipped to its rectangle whatever the font)."""
_BREAKS = "/-. ,:"

SYMBOL = {
    Severity.CRITICAL: "\u25c6\u25c6",
    Severity.HIGH: "\u25c6",
    Severity.MEDIUM: "\u25b2",
    Severity.LOW: "\u25cf",
    Severity.INFO: "\u25cb",
}
"""Shapes, not only colours, tell severities apart (in the graph and in the tables)."""


def _fit(text: str, size: int = LINE_CHARS) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def wrap(text: str) -> tuple[str, ...]:
    """``text`` on one line, or two: broken after the last break character that fits the first."""
    if len(text) <= LINE_CHARS:
        return (text,)
    cut = max((i + 1 for i, ch in enumerate(text[:LINE_CHARS]) if ch in _BREAKS), default=LINE_CHARS)
    return (text[:cut].rstrip(), _fit(text[cut:].lstrip()))


def place_line(kind: str, location: Location | None, size: int = LINE_CHARS + 2) -> str:
    """A box's second line, ``Kind · file:line``, that fits ``size`` characters: a long file
    name loses its middle, never its line number."""
    if location is None:
        return _fit(kind, size)
    name, line = PurePosixPath(location.path).name, f":{location.line}"
    head = f"{kind} \u00b7 " if kind else ""
    room = max(size - len(head) - len(line), 8)
    if len(name) > room:
        keep = room - 1
        name = name[: keep - keep // 2] + "\u2026" + name[len(name) - keep // 2 :]
    return _fit(head + name + line, size)


def _tooltip(node: Node) -> str:
    lines = [f"{node.label} ({node.severity.label})"]
    for member in node.members if len(node.members) > 1 else ():
        lines.append(member.label + (f" at {_place(member.location)}" if member.location else ""))
    if node.location is not None:
        lines.append(_place(node.location))
    return "\n".join(lines)


def _place(location: Location | None) -> str:
    return "" if location is None else f"{location.path}:{location.line}:{location.column}"


def render_svg(graph: Graph, title: str) -> str:
    """The graph as one ``<svg>`` element, laid out by :func:`~tokenlint.report.layout.layout`."""
    plan = layout([n.id for n in graph.nodes], [(e.source, e.target) for e in graph.edges])
    boxes = plan.boxes
    out = [
        f'<svg class="graph" width="{plan.width}" height="{plan.height}" viewBox="0 0 {plan.width} {plan.height}"'
        f' role="group" aria-labelledby="graph-title">',
        f'<title id="graph-title">{escape(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8"'
        ' markerUnits="userSpaceOnUse"'
        ' orient="auto-start-reverse"><path d="M0,0L8,4L0,8z"/></marker></defs>',
        '<g class="edges">',
    ]
    # Lesser edges first, so that critical ones are drawn on top of them.
    for edge in sorted(graph.edges, key=lambda e: e.severity == Severity.CRITICAL):
        a, b = boxes[edge.source], boxes[edge.target]
        x1, y1 = a.x + a.width, a.y + a.height // 2
        x2, y2 = b.x, b.y + b.height // 2
        if x2 <= x1:  # an edge that closes a cycle goes back: loop below the boxes
            bend = max(a.y, b.y) + NODE_HEIGHT + 12
            d = f"M{x1},{y1}C{x1 + 40},{bend} {x2 - 40},{bend} {x2},{y2}"
        else:
            mid = (x1 + x2) // 2
            d = f"M{x1},{y1}C{mid},{y1} {mid},{y2} {x2},{y2}"
        out.append(
            f'<path class="edge {edge.severity.label}" d="{d}" marker-end="url(#arrow)"'
            f' data-from="{edge.source}" data-to="{edge.target}"/>'
        )
    out.append('</g><g class="nodes">')
    for node in graph.nodes:
        box = boxes[node.id]
        kind = "origin" if node.origin else "step"
        lines = wrap(f"{SYMBOL[node.severity]} {node.name}")
        top = 19 if len(lines) > 1 else 24  # one line of name sits nearer the middle
        out.append(
            f'<g class="node {node.severity.label} {kind}" id="node-{node.id}" data-label="{escape(node.label)}">'
            f'<a href="#{escape(node.href)}">'
            f"<title>{escape(_tooltip(node))}</title>"
            f'<svg x="{box.x}" y="{box.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}">'
            f'<rect x="1" y="1" width="{NODE_WIDTH - 2}" height="{NODE_HEIGHT - 2}" rx="6"/>'
            + "".join(
                f'<text x="8" y="{top + 15 * i}" class="name">{escape(line)}</text>' for i, line in enumerate(lines)
            )
            + f'<text x="8" y="{NODE_HEIGHT - 9}" class="where">{escape(place_line(node.kind, node.location))}</text>'
            "</svg></a></g>"
        )
    out.append("</g></svg>")
    return "".join(out)
