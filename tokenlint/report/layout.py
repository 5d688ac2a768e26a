"""Where each node of a graph is drawn: columns left to right, rows that never overlap.

A pure function of the node order and the edges, so that the same graph gives the same
picture byte for byte, and so that it can be tested without drawing anything:

1. Connected parts are stacked top to bottom in the order of their first node: callers
   list the worst chains first, so critical chains are drawn first.
2. Columns are longest paths from the chains' starts (cycles, which multi-hop chains
   can close, are broken at the edge that returns to a node being walked), and every
   node that leads nowhere (a capability, a chain's end) goes to the last column, so
   that what a token reaches lines up on the right.
3. Within a column nodes are ordered by the mean position of their neighbours, a few
   sweeps each way (the barycenter heuristic), ties kept in input order; then each node
   takes the row of its predecessors' mean if it is free, else the next free row below,
   so that a single chain is a straight line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NODE_WIDTH = 216
NODE_HEIGHT = 58
COLUMN_GAP = 36
ROW_HEIGHT = 70
PART_GAP = 20
MARGIN = 8
SWEEPS = 4


@dataclass(frozen=True)
class Box:
    """A node's column, row (across the whole picture) and rectangle in pixels."""

    column: int
    row: int
    x: int
    y: int
    width: int = NODE_WIDTH
    height: int = NODE_HEIGHT


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    width: int
    height: int
    columns: int


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Layout:
    """Lay out ``nodes`` (in priority order) joined by ``edges`` (source, target)."""
    index = {node: i for i, node in enumerate(nodes)}
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in dict.fromkeys(edges):
        if a != b:
            succ[a].append(b)
            pred[b].append(a)
    column = _columns(nodes, succ, index)
    columns = max(column.values(), default=-1) + 1
    boxes: dict[str, Box] = {}
    top = 0
    y = MARGIN
    for part in _parts(nodes, succ, pred):
        rows = _rows(part, column, succ, pred)
        for node in part:
            c, r = column[node], rows[node]
            boxes[node] = Box(c, top + r, MARGIN + c * (NODE_WIDTH + COLUMN_GAP), y + r * ROW_HEIGHT)
        used = max(rows.values()) + 1
        top += used
        y += used * ROW_HEIGHT + PART_GAP
    width = 2 * MARGIN + columns * NODE_WIDTH + max(columns - 1, 0) * COLUMN_GAP
    height = y - PART_GAP - (ROW_HEIGHT - NODE_HEIGHT) + MARGIN if boxes else 2 * MARGIN
    return Layout(boxes, width, height, columns)


def _parts(nodes: Sequence[str], succ: dict[str, list[str]], pred: dict[str, list[str]]) -> list[list[str]]:
    """Connected parts, each in input order, ordered by their first node."""
    part_of: dict[str, int] = {}
    parts: list[list[str]] = []
    for start in nodes:
        if start in part_of:
            continue
        members = []
        stack = [start]
        part_of[start] = len(parts)
        while stack:
            node = stack.pop()
            members.append(node)
            for other in (*succ[node], *pred[node]):
                if other not in part_of:
                    part_of[other] = len(parts)
                    stack.append(other)
        parts.append(members)
    order = {node: i for i, node in enumerate(nodes)}
    return [sorted(members, key=order.__getitem__) for members in parts]


def _columns(nodes: Sequence[str], succ: dict[str, list[str]], index: dict[str, int]) -> dict[str, int]:
    """Longest path from a start over the edges that close no cycle; ends in the last column."""
    forward: dict[str, list[str]] = {n: [] for n in nodes}
    state: dict[str, int] = {}  # 1 on the walk, 2 done
    for start in nodes:
        if start in state:
            continue
        state[start] = 1
        walk = [(start, iter(succ[start]))]
        while walk:
            node, rest = walk[-1]
            nxt = next(rest, None)
            if nxt is None:
                state[node] = 2
                walk.pop()
            elif state.get(nxt) != 1:  # an edge back onto the walk closes a cycle: not followed
                forward[node].append(nxt)
                if nxt not in state:
                    state[nxt] = 1
                    walk.append((nxt, iter(succ[nxt])))
    incoming = dict.fromkeys(nodes, 0)
    for n in nodes:
        for m in forward[n]:
            incoming[m] += 1
    column = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if incoming[n] == 0]
    while ready:
        ready.sort(key=index.__getitem__, reverse=True)
        node = ready.pop()
        for m in forward[node]:
            column[m] = max(column[m], column[node] + 1)
            incoming[m] -= 1
            if incoming[m] == 0:
                ready.append(m)
    last = max(column.values(), default=0)
    for n in nodes:
        if not succ[n] and column[n] > 0:
            column[n] = last
    return column


def _rows(
    part: list[str],
    column: dict[str, int],
    succ: dict[str, list[str]],
    pred: dict[str, list[str]],
) -> dict[str, int]:
    """Rows within one part: barycenter order per column, then rows aligned with predecessors."""
    layers: dict[int, list[str]] = {}
    for node in part:
        layers.setdefault(column[node], []).append(node)
    keys = sorted(layers)
    position = {n: i for layer in layers.values() for i, n in enumerate(layer)}
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        for c in keys if down else reversed(keys):
            neighbours = pred if down else succ

            def weight(node: str, neighbours: dict[str, list[str]] = neighbours) -> tuple[float, int]:
                near = [position[m] for m in neighbours[node] if m in position]
                return (sum(near) / len(near) if near else position[node], position[node])

            layers[c].sort(key=weight)
            position.update((n, i) for i, n in enumerate(layers[c]))
    rows: dict[str, int] = {}
    for c in keys:
        free = 0
        for node in layers[c]:
            placed = [rows[m] for m in pred[node] if m in rows]
            wanted = round(sum(placed) / len(placed)) if placed else free
            rows[node] = max(wanted, free)
            free = rows[node] + 1
    return rows
