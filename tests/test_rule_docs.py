"""The rule reference page is generated from the rules' own pages and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).parents[1] / "scripts" / "gen_rule_docs.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_reference_is_up_to_date() -> None:
    script = _script()
    assert script.PAGE.read_text(encoding="utf-8") == script.render(), (
        "docs/rules.md is stale: run python scripts/gen_rule_docs.py"
    )


def test_reference_lists_every_built_in_rule_with_its_page() -> None:
    text = _script().render()
    for rule_id in ("TL001", "TL005", "TL101", "TL201"):
        assert f"| [{rule_id}](#" in text
        assert f"\n## {rule_id} " in text
    assert "### Why is this bad?" in text
