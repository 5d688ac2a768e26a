"""The rule reference page is generated from the rules' own pages and must be current."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType


def test_rule_reference_is_up_to_date(load_script: Callable[[str], ModuleType]) -> None:
    script = load_script("gen_rule_docs")
    assert script.PAGE.read_text(encoding="utf-8") == script.render(), (
        "docs/rules.md is stale: run python scripts/gen_rule_docs.py"
    )


def test_reference_lists_every_built_in_rule_with_its_page(load_script: Callable[[str], ModuleType]) -> None:
    text = load_script("gen_rule_docs").render()
    for rule_id in ("TL001", "TL005", "TL101", "TL201"):
        assert f"| [{rule_id}](#" in text
        assert f"\n## {rule_id} " in text
    assert "### Why is this bad?" in text
