from __future__ import annotations

import random
from itertools import pairwise

import pytest

from tokenlint.report.layout import NODE_HEIGHT, NODE_WIDTH, Box, Layout, layout

CHAIN = ["w", "sa", "b", "r", "c"]


def edges_of(*chains: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for chain in chains for a, b in pairwise(chain)]


def overlapping(plan: Layout) -> list[tuple[str, str]]:
    boxes = sorted(plan.boxes.items())
    clashes = []
    for i, (a, p) in enumerate(boxes):
        for b, q in boxes[i + 1 :]:
            if p.x < q.x + q.width and q.x < p.x + p.width and p.y < q.y + q.height and q.y < p.y + p.height:
                clashes.append((a, b))
    return clashes


def random_graph(seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Chains of 2 to 7 steps over a shared pool of places, so that they meet, fork and sometimes loop."""
    rng = random.Random(seed)
    pool = [f"p{i}" for i in range(rng.randint(3, 40))]
    chains = [rng.sample(pool, rng.randint(2, min(7, len(pool)))) for _ in range(rng.randint(1, 25))]
    nodes = list(dict.fromkeys(n for chain in chains for n in chain))
    return nodes, edges_of(*chains)


def test_a_single_chain_is_one_straight_row_left_to_right() -> None:
    plan = layout(CHAIN, edges_of(CHAIN))
    assert [(plan.boxes[n].column, plan.boxes[n].row) for n in CHAIN] == [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]
    assert len({plan.boxes[n].y for n in CHAIN}) == 1
    assert plan.columns == 5
    assert plan.width == plan.boxes["c"].x + NODE_WIDTH + 8
    assert plan.height == NODE_HEIGHT + 16


def test_what_a_token_reaches_lines_up_in_the_last_column() -> None:
    # A built-in role has no role step: its capability still goes to the last column.
    long = ["w1", "sa1", "b1", "r1", "c1"]
    short = ["w2", "sa2", "b2", "c2"]
    plan = layout([*long, *short], edges_of(long, short))
    assert plan.boxes["c2"].column == plan.boxes["c1"].column == 4
    assert plan.boxes["b2"].column == 2


def test_parts_are_stacked_in_the_order_of_their_first_node() -> None:
    critical = ["a1", "a2", "a3"]
    high = ["b1", "b2", "b3"]
    plan = layout([*critical, *high], edges_of(high, critical))
    assert plan.boxes["a1"].row == 0
    assert plan.boxes["b1"].row == 1
    assert plan.boxes["b1"].y > plan.boxes["a1"].y + NODE_HEIGHT


def test_an_account_sits_level_with_its_workloads() -> None:
    nodes = ["w1", "w2", "w3", "sa", "cap"]
    plan = layout(nodes, [("w1", "sa"), ("w2", "sa"), ("w3", "sa"), ("sa", "cap")])
    assert [plan.boxes[w].row for w in ("w1", "w2", "w3")] == [0, 1, 2]
    assert plan.boxes["sa"].row == 1
    assert plan.boxes["cap"].row == 1


def test_a_cycle_is_broken_and_every_node_is_placed() -> None:
    nodes = ["a", "b", "c"]
    plan = layout(nodes, [("a", "b"), ("b", "c"), ("c", "a")])
    assert [plan.boxes[n].column for n in nodes] == [0, 1, 2]
    assert not overlapping(plan)


def test_self_loops_and_repeated_edges_are_ignored() -> None:
    plan = layout(["a", "b"], [("a", "a"), ("a", "b"), ("a", "b")])
    assert plan.boxes == {"a": Box(0, 0, 8, 8), "b": Box(1, 0, 8 + NODE_WIDTH + 36, 8)}


def test_an_empty_graph() -> None:
    assert layout([], []) == Layout({}, 16, 16, 0)


@pytest.mark.parametrize("seed", range(60))
def test_no_two_boxes_overlap_and_edges_run_left_to_right(seed: int) -> None:
    nodes, edges = random_graph(seed)
    plan = layout(nodes, edges)
    assert set(plan.boxes) == set(nodes)
    assert overlapping(plan) == []
    assert all(b.x >= 0 and b.x + b.width <= plan.width and b.y + b.height <= plan.height for b in plan.boxes.values())
    forward = sum(plan.boxes[a].column < plan.boxes[b].column for a, b in set(edges) if a != b)
    backward = {(a, b) for a, b in set(edges) if a != b and plan.boxes[a].column >= plan.boxes[b].column}
    # Only edges that close a cycle may go back; an acyclic graph has none.
    assert forward + len(backward) == len({(a, b) for a, b in edges if a != b})
    if backward:
        assert any(_reaches(edges, b, a) for a, b in backward)


@pytest.mark.parametrize("seed", range(20))
def test_the_same_graph_gives_the_same_picture(seed: int) -> None:
    nodes, edges = random_graph(seed)
    assert layout(nodes, edges) == layout(list(nodes), list(edges))
    # Edge order does not move anything in an acyclic graph of chains that share no node.
    chains = [[f"{i}-{j}" for j in range(5)] for i in range(4)]
    flat = [n for chain in chains for n in chain]
    assert layout(flat, edges_of(*chains)) == layout(flat, list(reversed(edges_of(*chains))))


def _reaches(edges: list[tuple[str, str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return False
