"""Write docs/rules.md, the rule reference, from the rules' own pages and metadata.

Every built-in rule documents itself (rules/<name>.md, with the fixed headings the meta
tests check); this page only gathers them behind an index, so it can never disagree
with ``tokenlint explain``. tests/test_rule_docs.py fails when the page is stale.

Usage: python scripts/gen_rule_docs.py [--check]
"""

from __future__ import annotations

import re
import sys

from generated_page import ROOT, write_or_check

from tokenlint.rulekit.registry import load_rules

PAGE = ROOT / "docs" / "rules.md"
HEADER = """# Rule reference

Generated from the rules' own pages by `python scripts/gen_rule_docs.py`; `tokenlint
explain ID` prints the same text. Severities are defaults: the configuration can change
them (see config.md).

| id | name | default severity | summary |
|---|---|---|---|
"""


def _demote(page: str) -> str:
    """Each page's own headings sit one level below the rule's heading here."""
    body = re.sub(r"^# .*\n+", "", page, count=1)
    return re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", body, flags=re.MULTILINE).strip()


def render() -> str:
    """The whole reference page."""
    rules = [r for r in load_rules().rules if r.meta.id.startswith("TL")]
    lines = [HEADER.rstrip("\n")]
    for rule in rules:
        m = rule.meta
        anchor = f"{m.id}-{m.name}".lower()
        lines.append(f"| [{m.id}](#{anchor}) | {m.name} | {m.severity.label} | {m.summary.replace('|', '/')} |")
    for rule in rules:
        m = rule.meta
        lines += ["", f"## {m.id} {m.name}", "", f"Default severity: **{m.severity.label}**.", "", _demote(m.help)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(PAGE, render(), __file__, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
