"""The engine: which rules see what, bundles per scenario, options, crashes, ordering."""

from __future__ import annotations

from typing import ClassVar

import pytest

from tokenlint.engine.run import LintOptions, lint
from tokenlint.k8s.index import BundleIndex
from tokenlint.model import InputError, Severity
from tokenlint.report.result import Report
from tokenlint.resources.resource import FileOrigin, Resource, Stream
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import BundleRule, Context, ResourceRule, Rule, RuleMeta


def meta(rule_id: str, **options: int) -> RuleMeta:
    schemas = {name: {"type": "integer", "default": value} for name, value in options.items()}
    return RuleMeta(rule_id, f"rule-{rule_id.lower()}", Severity.MEDIUM, "test rule", options=schemas)


class EverySecret(ResourceRule):
    meta = meta("TT001")
    kinds = frozenset({"Secret"})

    def check(self, resource: Resource, ctx: Context) -> None:
        ctx.report(resource, ("metadata", "name"), f"secret {resource.name}")


class EveryResource(ResourceRule):
    meta = meta("TT002", limit=3)

    def check(self, resource: Resource, ctx: Context) -> None:
        ctx.report(resource, (), f"{resource.kind} with limit {ctx.options['limit']}")


class Crashes(ResourceRule):
    meta = meta("TT003")

    def check(self, resource: Resource, ctx: Context) -> None:
        raise KeyError("boom")


class CountsAccounts(BundleRule):
    """Reports every ServiceAccount with the names of all ServiceAccounts its bundle holds."""

    meta = meta("TT004")
    calls: ClassVar[list[list[str]]] = []

    def check(self, index: BundleIndex, ctx: Context) -> None:
        names = sorted(name for _, name in index.service_accounts)
        self.calls.append(names)
        for account in index.service_accounts.values():
            ctx.report(account, ("metadata", "name"), "bundle: " + ", ".join(names))


def sa(name: str) -> str:
    return f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n"


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"


def stream(path: str, text: str, scenario: str | None = None) -> Stream:
    return Stream(FileOrigin(path), text.encode(), scenario=scenario, bundle=None if scenario is None else scenario)


def run(*rules: Rule, inputs: list[Stream | InputError], options: LintOptions | None = None) -> list[tuple[str, ...]]:
    result = lint(inputs, RuleSet(tuple(rules)), options)
    assert result.errors == []
    return [(f.rule, f.location.path, str(f.location.line), f.message) for f in result.findings]


def test_resource_rules_see_their_kinds_and_findings_are_sorted() -> None:
    inputs: list[Stream | InputError] = [stream("b.yaml", SECRET), stream("a.yaml", sa("x") + "---\n" + SECRET)]
    assert run(EverySecret(), EveryResource(), inputs=inputs) == [
        ("TT002", "a.yaml", "2", "ServiceAccount with limit 3"),
        ("TT002", "a.yaml", "7", "Secret with limit 3"),
        ("TT001", "a.yaml", "9", "secret creds"),
        ("TT002", "b.yaml", "2", "Secret with limit 3"),
        ("TT001", "b.yaml", "4", "secret creds"),
    ]


def test_rule_options_override_the_declared_defaults() -> None:
    options = LintOptions(rule_options={"TT002": {"limit": 9}})
    assert run(EveryResource(), inputs=[stream("a.yaml", SECRET)], options=options) == [
        ("TT002", "a.yaml", "2", "Secret with limit 9")
    ]


def test_a_crashing_rule_is_an_error_naming_it_and_other_rules_go_on() -> None:
    result = lint([stream("a.yaml", SECRET)], RuleSet((Crashes(), EverySecret())))
    assert [(f.rule, f.location.line) for f in result.findings] == [("TT001", 4)]
    assert result.errors == [InputError("a.yaml", 2, 1, "internal error in rule TT003 (rule-tt003): KeyError: 'boom'")]
    assert Report(result, RuleSet((Crashes(), EverySecret()))).exit_code() == 2


def test_a_failure_to_look_for_credentials_skips_the_resource_and_quotes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(resource: Resource, scan: bool) -> None:
        if resource.kind == "Secret":
            raise ValueError(f"cannot decode {resource.name}")

    monkeypatch.setattr("tokenlint.engine.run.credentials.redact", fails)
    result = lint([stream("a.yaml", sa("x") + "---\n" + SECRET)], RuleSet((EverySecret(), EveryResource())))
    assert [(f.rule, f.location.line) for f in result.findings] == [("TT002", 2)]
    message = "internal error while looking for credentials (ValueError); resource not linted"
    assert result.errors == [InputError("a.yaml", 7, 1, message)]


def test_input_errors_pass_through_and_the_rest_is_linted() -> None:
    missing = InputError("gone.yaml", None, None, "no such file or directory")
    result = lint([missing, stream("a.yaml", SECRET)], RuleSet((EverySecret(),)))
    assert result.errors == [missing]
    assert (result.files, result.resources, len(result.findings)) == (1, 1, 1)


def test_bundle_rules_run_once_per_bundle_and_scenarios_never_see_each_other() -> None:
    CountsAccounts.calls.clear()
    inputs: list[Stream | InputError] = [
        stream("base.yaml", sa("base")),
        stream("chart/sa.yaml", sa("from-a"), scenario="a"),
        stream("chart/sa.yaml", sa("from-b"), scenario="b"),
    ]
    findings = lint(inputs, RuleSet((CountsAccounts(),))).findings
    assert CountsAccounts.calls == [["base"], ["base", "from-a"], ["base", "from-b"]]
    # The base account is reported once, by the base bundle, not again per scenario.
    assert [(f.location.path, f.message, f.scenarios) for f in findings] == [
        ("base.yaml", "bundle: base", ()),
        ("chart/sa.yaml", "bundle: base, from-a", ("a",)),
        ("chart/sa.yaml", "bundle: base, from-b", ("b",)),
    ]


def test_the_same_finding_in_several_scenarios_is_reported_once_with_all_their_names() -> None:
    inputs: list[Stream | InputError] = [
        stream("chart/secret.yaml", SECRET, scenario="default"),
        stream("chart/secret.yaml", SECRET, scenario="production"),
    ]
    findings = lint(inputs, RuleSet((EverySecret(),))).findings
    assert [(f.location.line, f.scenarios) for f in findings] == [(4, ("default", "production"))]
