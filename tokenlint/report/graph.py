"""The attack graph of the HTML report: chains of steps merged into nodes and edges.

The graph is what a run already holds, never a new judgement: the ordered ``related``
steps of chain findings (TL201 and every later chain rule) or the accounts of the
``paths`` view. A step is one place: a workload's token field, a ServiceAccount, a
binding, a role, the rule that grants a capability. Steps at the same place are one
node, so the chains of several workloads that share an account meet there.

Only capability-reaching chains are drawn (a chain finding ends at what the token can
do; accounts of the paths view that reach nothing are left out), and three or more
workloads whose tokens take the same next step become one node with their count, so
that a chart running twenty Deployments as one account draws one line, not twenty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokenlint.model import Finding, Location, Severity

if TYPE_CHECKING:  # the paths view's modules load only for 'paths'
    from tokenlint.report.pathsview import Account, Carrier, PathsView

COLLAPSE_AT = 3
"""Workloads of one next step that are drawn as one node with their count."""


@dataclass(frozen=True)
class Step:
    """One place of a chain: its identity (equal keys are one node), short name and location.

    ``kind`` is the resource kind when ``name`` is a resource's name, empty when the name
    says it all (a capability); ``label`` joins both for text.
    """

    key: str
    kind: str
    name: str
    location: Location | None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.kind else self.name


@dataclass(frozen=True)
class Chain:
    """An ordered walk from a workload (or an account) to a capability.

    ``anchor`` is the HTML id of the finding that carries the chain (None in the paths
    view); ``title`` says in words what the chain is; ``scenarios`` names the chart values
    scenarios or overlays it holds in (none: every input read).
    """

    steps: tuple[Step, ...]
    severity: Severity
    title: str
    anchor: str | None = None
    scenarios: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    """A box of the picture. ``members`` holds more than one step when workloads were collapsed."""

    id: str
    kind: str
    name: str
    location: Location | None
    severity: Severity
    members: tuple[Step, ...]
    href: str
    origin: bool
    """A first step of a chain (a workload or account that carries the token)."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.kind and len(self.members) == 1 else self.name


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    severity: Severity


@dataclass(frozen=True)
class Graph:
    """Nodes in drawing order (worst chains first), their edges, and the chains they come from."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    chains: tuple[Chain, ...]


def _at(location: Location) -> str:
    return f"{location.path}:{location.line}:{location.column}"


def chains_of_findings(findings: Sequence[Finding], anchors: dict[int, str]) -> list[Chain]:
    """The chains of chain findings, worst first; ``anchors`` maps ``id(finding)`` to its HTML id.

    A step on the same resource as the step before it is a part of that resource (the
    rule of a role that grants the capability) and a place of its own; the last step of
    a chain is always a place of its own, the capability it reaches.
    """
    chains = []
    for finding in findings:
        if not finding.chain or not finding.related:
            continue
        steps = []
        previous = None
        last = len(finding.related) - 1
        for i, related in enumerate(finding.related):
            ref = related.resource
            if ref is None:
                step = Step(_at(related.location), "", related.label or related.message, related.location)
            else:
                key = f"{ref.kind}|{ref.namespace or ''}|{ref.name}"
                if ref == previous or i == last:
                    key += "@" + _at(related.location)
                if related.label:
                    step = Step(key, "", related.label, related.location)
                else:
                    name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
                    step = Step(key, ref.kind, name, related.location)
            previous = ref
            steps.append(step)
        anchor = anchors.get(id(finding))
        chains.append(Chain(tuple(steps), finding.severity, finding.message, anchor, finding.scenarios))
    # sorted() is stable: findings of one severity keep the report's file order.
    return sorted(chains, key=lambda c: -c.severity)


def chains_of_view(view: PathsView) -> list[Chain]:
    """The chains of the paths view: every carrier of an account times every capability it reaches.

    Each chain is rated as TL201 rates it (the view keeps the path's severity), so that
    both pages draw the same chain alike.
    """
    chains = []
    for account in view.accounts:
        if not account.reaches:
            continue
        origins: list[Step | None] = [_carrier_step(c) for c in account.carriers] or [None]
        for reached in account.reaches:
            tail = (
                _account_step(account),
                _named_step("binding", reached.binding),
                _named_step("role", reached.role),
                Step(
                    f"capability|{_at(reached.location)}|{reached.capability}|{reached.scope}",
                    "",
                    f"{reached.capability} {reached.title}, {reached.where}",
                    reached.location,
                ),
            )
            for origin in origins:
                steps = tail if origin is None else (origin, *tail)
                title = f"{steps[0].label} -> {reached.capability} {reached.title}, {reached.where} ({reached.rule})"
                chains.append(Chain(steps, reached.severity, title))
    return sorted(chains, key=lambda c: -c.severity)


def _account_step(account: Account) -> Step:
    return Step(
        f"account|{account.namespace}|{account.name}", "ServiceAccount", f"{account.namespace}/{account.name}", None
    )


def _carrier_step(carrier: Carrier) -> Step:
    name = f"{carrier.namespace}/{carrier.name}" if carrier.namespace else carrier.name
    return Step(f"workload|{carrier.display()}", carrier.kind, name, carrier.location)


def _named_step(what: str, display: str) -> Step:
    """A binding or role the view names by its display text (``Kind [namespace/]name``)."""
    kind, _, name = display.partition(" ")
    return Step(f"{what}|{display}", kind, name, None) if name else Step(f"{what}|{display}", "", display, None)


def build_graph(chains: Sequence[Chain], links: dict[tuple[str, int, int], str] | None = None) -> Graph:
    """Merge chains into nodes and edges; collapse workloads that share their next step.

    ``links`` maps a file, line and column to the HTML id of the finding there, so that a
    node links to the finding at its own place (a role rule to its TL1xx finding), else to
    the finding of the first chain through it, else to that chain's row (``chain-N``).
    """
    links = links or {}
    order: dict[str, int] = {}
    steps: dict[str, Step] = {}
    severity: dict[str, Severity] = {}
    href: dict[str, str] = {}
    origin: set[str] = set()
    edges: dict[tuple[str, str], Severity] = {}
    for n, chain in enumerate(chains, start=1):
        for i, step in enumerate(chain.steps):
            key = step.key
            if key not in order:
                order[key] = len(order)
                steps[key] = step
                own = None
                if step.location is not None and i > 0:
                    loc = step.location
                    own = links.get((loc.path, loc.line, loc.column))
                href[key] = own or chain.anchor or f"chain-{n}"
            severity[key] = max(severity.get(key, Severity.INFO), chain.severity)
            if i == 0:
                origin.add(key)
            else:
                pair = (chain.steps[i - 1].key, key)
                edges[pair] = max(edges.get(pair, Severity.INFO), chain.severity)
    groups = _collapsible(order, origin, edges)
    nodes: list[Node] = []
    ids: dict[str, str] = {}
    for key in order:
        group = groups.get(key)
        if group is not None and key != group[0]:
            ids[key] = ids[group[0]]
            continue
        ids[key] = f"n{len(nodes)}"
        members = tuple(steps[k] for k in group) if group else (steps[key],)
        keys = group or [key]
        step = steps[key]
        kinds = ", ".join(dict.fromkeys(m.kind for m in members))
        nodes.append(
            Node(
                ids[key],
                kinds if group else step.kind,
                f"{len(members)} workloads" if group else step.name,
                None if group else step.location,
                max(severity[k] for k in keys),
                members,
                href[key],
                key in origin,
            )
        )
    merged: dict[tuple[str, str], Severity] = {}
    for (a, b), worst in edges.items():
        pair = (ids[a], ids[b])
        merged[pair] = max(merged.get(pair, Severity.INFO), worst)
    return Graph(
        tuple(nodes),
        tuple(Edge(a, b, s) for (a, b), s in merged.items()),
        tuple(chains),
    )


def _collapsible(order: dict[str, int], origin: set[str], edges: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Pure origins (nothing leads to them) grouped by their next steps, for groups of COLLAPSE_AT or more."""
    targets: dict[str, list[str]] = {}
    entered: set[str] = set()
    for a, b in edges:
        targets.setdefault(a, []).append(b)
        entered.add(b)
    by_next: dict[tuple[str, ...], list[str]] = {}
    for key in order:
        if key in origin and key not in entered and key in targets:
            by_next.setdefault(tuple(sorted(targets[key])), []).append(key)
    return {key: group for group in by_next.values() if len(group) >= COLLAPSE_AT for key in group}
