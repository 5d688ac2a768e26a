"""Load rules: built-in and third-party alike, through the ``tokenlint.rules`` entry points.

Built-in rules are declared in pyproject.toml's entry-point table like any plugin, so the
plugin path is exercised on every run and there is one loading mechanism, not two. A
plugin that fails to load or declares invalid metadata is an error naming the plugin; it
never silently disappears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from tokenlint.model import Severity
from tokenlint.rulekit.rule import RULE_ID, RULE_NAME, BundleRule, ResourceRule, Rule

GROUP = "tokenlint.rules"


class RuleLoadError(Exception):
    """A rule plugin that cannot be used; the message names it and says why."""


@dataclass(frozen=True)
class RuleSet:
    """The rules of a run, sorted by id."""

    rules: tuple[Rule, ...]

    def by_id(self, rule_id: str) -> Rule | None:
        wanted = rule_id.upper()
        for rule in self.rules:
            if rule.meta.id == wanted or rule.meta.name == rule_id:
                return rule
        return None

    @property
    def resource_rules(self) -> tuple[ResourceRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ResourceRule))

    @property
    def bundle_rules(self) -> tuple[BundleRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, BundleRule))

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSet:
        """Keep the rules named by ``select`` (all when empty) minus those in ``ignore``.

        Each entry is a rule id, a rule name, or an id prefix such as ``TL1``.
        Unknown entries are an error, so a typo never turns a rule off unnoticed.
        """
        chosen = [self._matching(entry) for entry in select]
        dropped = [self._matching(entry) for entry in ignore]
        keep = set().union(*chosen) if chosen else {r.meta.id for r in self.rules}
        keep -= set().union(*dropped) if dropped else set()
        return RuleSet(tuple(r for r in self.rules if r.meta.id in keep))

    def _matching(self, entry: str) -> set[str]:
        text = entry.strip()
        found = {r.meta.id for r in self.rules if r.meta.name == text or r.meta.id.startswith(text.upper())}
        if not found:
            raise RuleLoadError(f"unknown rule {entry!r}: run 'tokenlint rules' for the list")
        return found


def _instantiate(entry: EntryPoint) -> Rule:
    try:
        loaded = entry.load()
    except Exception as exc:
        raise RuleLoadError(f"rule plugin {entry.name} ({entry.value}) failed to load: {exc}") from exc
    rule = loaded() if isinstance(loaded, type) else loaded
    if not isinstance(rule, (ResourceRule, BundleRule)):
        raise RuleLoadError(f"rule plugin {entry.name} ({entry.value}) is not a ResourceRule or BundleRule")
    validate(rule, origin=f"{entry.name} ({entry.value})")
    return rule


def validate(rule: Rule, origin: str) -> None:
    """Reject metadata that would break reports or the public rule interface."""
    meta = getattr(rule, "meta", None)
    if meta is None:
        raise RuleLoadError(f"rule {origin} declares no meta")
    problems = []
    if not RULE_ID.match(meta.id):
        problems.append(f"id {meta.id!r} is not like TL123")
    if not RULE_NAME.match(meta.name):
        problems.append(f"name {meta.name!r} is not kebab-case")
    if not isinstance(meta.severity, Severity):
        problems.append("severity is not a tokenlint.model.Severity")
    if not meta.summary:
        problems.append("summary is empty")
    if problems:
        raise RuleLoadError(f"rule {origin}: " + "; ".join(problems))


def load_rules(extra: Iterable[Rule] = ()) -> RuleSet:
    """Every installed rule plus ``extra`` (rules defined by configuration)."""
    rules: dict[str, Rule] = {}
    names: dict[str, str] = {}
    candidates = [(f"{e.name} ({e.value})", e) for e in entry_points(group=GROUP)]
    loaded = [(origin, _instantiate(e)) for origin, e in candidates]
    for rule in extra:
        validate(rule, origin=rule.meta.id)
        loaded.append((rule.meta.id, rule))
    for origin, rule in loaded:
        meta = rule.meta
        if meta.id in rules:
            raise RuleLoadError(f"rule {origin}: id {meta.id} is already used by {rules[meta.id].meta.name}")
        if meta.name in names:
            raise RuleLoadError(f"rule {origin}: name {meta.name} is already used by {names[meta.name]}")
        rules[meta.id] = rule
        names[meta.name] = meta.id
    return RuleSet(tuple(sorted(rules.values(), key=lambda r: r.meta.id)))
