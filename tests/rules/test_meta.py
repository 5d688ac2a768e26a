"""Checks every installed built-in rule must pass: identity, fixtures, and a page that cannot lie.

Written over whatever the ``tokenlint.rules`` entry points load, so a new rule is covered
the moment it is registered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.engine.run import LintResult, lint
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules
from tokenlint.rulekit.rule import Rule

RULES_DIR = Path(__file__).parent
PAGES_DIR = Path(__file__).parents[2] / "rules"
HEADINGS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "How to fix",
    "Options",
    "References",
)
_YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)

ALL_RULES = load_rules().rules
BUILTIN = [r for r in ALL_RULES if type(r).__module__.startswith("tokenlint.rules.")]


def rule_id(rule: Rule) -> str:
    return rule.meta.id


def sections(page: str) -> dict[str, str]:
    """The body of each ``## `` section of a page, by heading, in order."""
    parts = re.split(r"^## (.+?)\s*$", page, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def page_of(rule: Rule) -> Path:
    return PAGES_DIR / f"{rule.meta.name}.md"


def yaml_block(rule: Rule, heading: str) -> str:
    body = sections(page_of(rule).read_text(encoding="utf-8")).get(heading, "")
    match = _YAML_BLOCK.search(body)
    assert match, f"{page_of(rule).name}: section '{heading}' has no ```yaml block"
    return match.group(1)


def lint_alone(rule: Rule, text: str, name: str) -> LintResult:
    rules = load_rules().select([rule.meta.id])
    return lint([Stream(FileOrigin(name), text.encode())], rules)


def test_some_builtin_rules_are_installed() -> None:
    assert BUILTIN, "no built-in rule is registered under the tokenlint.rules entry points"


def test_ids_and_names_are_unique() -> None:
    ids = [r.meta.id for r in ALL_RULES]
    names = [r.meta.name for r in ALL_RULES]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_has_failing_and_passing_fixtures(rule: Rule) -> None:
    folder = RULES_DIR / rule.meta.id
    assert folder.is_dir(), f"{rule.meta.id} has no fixture folder tests/rules/{rule.meta.id}/"
    names = [p.name for p in folder.iterdir()]
    assert any(n.startswith("fail") for n in names), f"{rule.meta.id} has no fail* fixture"
    assert any(n.startswith("pass") for n in names), f"{rule.meta.id} has no pass* fixture"


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_page_has_the_fixed_headings(rule: Rule) -> None:
    page = page_of(rule)
    assert page.is_file(), f"{rule.meta.id} has no page rules/{rule.meta.name}.md"
    assert rule.meta.help_path is not None
    assert rule.meta.help_path.name == page.name
    found = sections(page.read_text(encoding="utf-8"))
    assert tuple(found) == HEADINGS, f"{page.name}: headings {list(found)}, expected {list(HEADINGS)}"


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_page_options_match_the_declared_options(rule: Rule) -> None:
    options = sections(page_of(rule).read_text(encoding="utf-8"))["Options"]
    if not rule.meta.options:
        assert options.strip() == "None.", f"{page_of(rule).name}: a rule without options says 'None.'"
    for name, schema in rule.meta.options.items():
        assert "default" in schema, f"{rule.meta.id} option {name} declares no default"
        assert f"`{name}`" in options, f"{page_of(rule).name}: option `{name}` is not documented"


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_page_example_triggers_the_rule(rule: Rule) -> None:
    result = lint_alone(rule, yaml_block(rule, "Example"), "example.yaml")
    assert not result.errors, [e.message for e in result.errors]
    assert [f for f in result.findings if f.rule == rule.meta.id], f"the Example of {rule.meta.id} does not trigger it"


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_page_use_instead_does_not_trigger_the_rule(rule: Rule) -> None:
    result = lint_alone(rule, yaml_block(rule, "Use instead"), "use-instead.yaml")
    assert not result.errors, [e.message for e in result.errors]
    assert not result.findings, [f"{f.location.line}: {f.message}" for f in result.findings]


@pytest.mark.parametrize("rule", BUILTIN, ids=rule_id)
def test_explain_shows_the_page(rule: Rule) -> None:
    outcome = CliRunner().invoke(app, ["explain", rule.meta.id])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith(f"{rule.meta.id} {rule.meta.name} (default severity: {rule.meta.severity.label})")
    assert page_of(rule).read_text(encoding="utf-8").strip() in outcome.output
