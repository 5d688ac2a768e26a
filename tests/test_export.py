"""The exported admission policies decide like the linter, and a cluster accepts them.

Every CEL expression of every generated policy (both formats, read back from the YAML
written) is evaluated with the official CEL runtime (cel-cpp, PyPI ``cel-expr-python``)
against every fixture of the exported rules, each object as the ``object`` of an
admission request. The verdict must equal what ``tokenlint lint`` reports on that object
alone: a request holds one object, so that is the linter's verdict at admission time.
A difference fails with both verdicts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cel_expr_python import cel
from jsonschema import Draft4Validator, Draft202012Validator
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tokenlint import __version__
from tokenlint.cli import app
from tokenlint.engine.run import LintOptions, lint
from tokenlint.engine.suppress import SuppressOptions
from tokenlint.k8s.apiresources import API_RESOURCES
from tokenlint.report.export import Action, ExportFormat, ExportOptions, export
from tokenlint.resources.resource import FileOrigin, Resource, Stream, resources_of
from tokenlint.rulekit.customrules import load_custom_rules
from tokenlint.rulekit.registry import RuleSet, load_rules
from tokenlint.rulekit.rule import Rule
from tokenlint.yaml.reader import parse_stream

HERE = Path(__file__).parent / "export"
ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "rules"
PAGES = ROOT / "rules"
CUSTOM = ROOT / "examples" / "custom-rules"
TRUSTED = frozenset({("ops", "autoscaler")})
"""The trusted service account of the cases in export/admission-cases.yaml."""

_ENV = cel.NewEnv(variables=dict.fromkeys(("object", "oldObject", "request", "variables"), cel.Type.DYN))
_YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)


@cache
def _compiled(expression: str) -> Any:
    return _ENV.compile(expression)


def evaluate(expression: str, data: dict[str, Any]) -> Any:
    """The value of ``expression``; an evaluation error fails the test with the expression."""
    value = _compiled(expression).eval(data=data)
    if value.type() == cel.Type.ERROR:
        raise AssertionError(f"CEL error {value.value()} in: {expression}")
    return value.plain_value()


def plain(node: Any) -> Any:
    """The object as the API server passes it: plain JSON values, null fields omitted."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def admission_object(resource: Resource) -> dict[str, Any]:
    """The body of the request: the API server fills in the namespace of the request."""
    body: dict[str, Any] = plain(resource.body)
    api = API_RESOURCES.get(resource.kind)
    if api is not None and api.namespaced:
        body.setdefault("metadata", {})["namespace"] = resource.namespace
    return body


@dataclass(frozen=True)
class Decision:
    """What a policy does with one object: not matched, admitted, or denied with messages."""

    matched: bool
    denied: tuple[str, ...] = ()
    skipped_by: str = ""

    def __str__(self) -> str:
        if not self.matched:
            return f"not matched (match condition {self.skipped_by} is false)"
        return f"denied: {'; '.join(self.denied)}" if self.denied else "admitted"


def applies(document: dict[str, Any], kind: str) -> bool:
    """Whether the policy's match block selects objects of ``kind``."""
    api = API_RESOURCES.get(kind)
    if document["kind"] == "ClusterPolicy":
        return any(kind in m["resources"]["kinds"] for m in document["spec"]["rules"][0]["match"]["any"])
    return api is not None and any(
        api.group in r["apiGroups"] and api.plural in r["resources"] and "CREATE" in r["operations"]
        for r in document["spec"]["matchConstraints"]["resourceRules"]
    )


def decide(document: dict[str, Any], obj: dict[str, Any]) -> Decision:
    """Evaluate a ValidatingAdmissionPolicy or Kyverno ClusterPolicy on a CREATE of ``obj``."""
    if document["kind"] == "ClusterPolicy":
        rule = document["spec"]["rules"][0]
        conditions, cel_block = rule.get("celPreconditions", []), rule["validate"]["cel"]
        variables, validations = cel_block.get("variables", []), cel_block["expressions"]
    else:
        spec = document["spec"]
        conditions, variables, validations = spec["matchConditions"], spec.get("variables", []), spec["validations"]
    request = {"operation": "CREATE", "namespace": obj.get("metadata", {}).get("namespace", "")}
    data: dict[str, Any] = {"object": obj, "oldObject": None, "request": request, "variables": {}}
    for condition in conditions:
        if evaluate(condition["expression"], data) is not True:
            return Decision(False, skipped_by=condition["name"])
    for variable in variables:
        data["variables"] = {**data["variables"], variable["name"]: evaluate(variable["expression"], data)}
    denied = []
    for validation in validations:
        if evaluate(validation["expression"], data) is not True:
            message = validation.get("messageExpression")
            text = evaluate(message, data) if message else validation["message"]
            assert isinstance(text, str)
            denied.append(text)
    return Decision(True, tuple(denied))


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def exported(rules: RuleSet, output_format: ExportFormat, trusted: frozenset[tuple[str, str]] = TRUSTED) -> list[Any]:
    text = export(rules, output_format, ExportOptions(trusted_accounts=trusted))
    return [d for d in documents(text) if d["kind"] in ("ValidatingAdmissionPolicy", "ClusterPolicy")]


def lint_verdict(rules: RuleSet, rule_id: str, text: str, on: tuple[str, str]) -> list[str]:
    """The unsuppressed findings of ``rule_id`` on the resource ``on`` (kind, name) when
    ``text`` is linted alone, with the trusted service accounts of the cases."""
    options = LintOptions(suppress=SuppressOptions(TRUSTED))
    result = lint([Stream(FileOrigin("object.yaml"), text.encode())], rules, options)
    assert not result.errors, [e.message for e in result.errors]
    return [
        f.message
        for f in result.findings
        if f.rule == rule_id and not f.suppressed and (f.resource.kind, f.resource.name) == on
    ]


def probe_pod(account: dict[str, Any]) -> dict[str, Any]:
    """A pod that runs as ``account`` and leaves automount to it: what the ServiceAccount
    policy of TL001 stands for."""
    metadata = account.get("metadata", {})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": metadata.get("namespace")},
        "spec": {"serviceAccountName": metadata.get("name"), "containers": [{"name": "c", "image": "i"}]},
    }


def expected(rules: RuleSet, rule: Rule, document: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """What the linter reports that the policy must deny; empty when it must admit."""
    name = obj.get("metadata", {}).get("name", "")
    if document["metadata"]["annotations"]["tokenlint.io/rule"] == "TL001" and obj["kind"] == "ServiceAccount":
        text = json.dumps(obj) + "\n---\n" + json.dumps(probe_pod(obj))
        return lint_verdict(rules, rule.meta.id, text, ("Pod", "probe"))
    return lint_verdict(rules, rule.meta.id, json.dumps(obj), (obj["kind"], name))


def fixture_texts(rule_id: str, page: str | None) -> Iterator[tuple[str, str]]:
    """(name, YAML text) of every fixture of a rule: its test files, its page's Example and
    Use instead, and the shared admission cases."""
    folder = FIXTURES / rule_id
    for path in sorted(folder.rglob("*.yaml")):
        yield str(path.relative_to(FIXTURES)), path.read_text(encoding="utf-8")
    if page is not None:
        text = (PAGES / page).read_text(encoding="utf-8")
        for heading in ("Example", "Use instead"):
            body = text.split(f"## {heading}\n", 1)[1]
            block = _YAML_BLOCK.search(body)
            assert block is not None
            yield f"{page} {heading}", block.group(1)
    yield "export/admission-cases.yaml", (HERE / "admission-cases.yaml").read_text(encoding="utf-8")


def objects(text: str) -> Iterator[dict[str, Any]]:
    parsed, errors = parse_stream(text.encode())
    assert not errors
    for document in parsed:
        for resource in resources_of(document, FileOrigin("t.yaml"), "default"):
            yield admission_object(resource)


BUILTIN = load_rules()
EXPORTED = [r for r in BUILTIN.rules if not hasattr(r.admission(r.meta.defaults()), "reason")]


def test_the_issue_s_rules_are_exported_and_the_cross_resource_ones_are_not() -> None:
    assert [r.meta.id for r in EXPORTED] == ["TL001", "TL002", "TL003", "TL004", "TL006", "TL110", "TL111"]
    text = export(BUILTIN, ExportFormat.vap, ExportOptions())
    header = text.split("\n---\n", 1)[0]
    for rule_id in ("TL005", "TL101", "TL109", "TL201"):
        assert f"#   {rule_id} " in header
    assert "one admission request holds one object" in header


@pytest.mark.parametrize("output_format", list(ExportFormat))
@pytest.mark.parametrize("rule", EXPORTED, ids=lambda r: r.meta.id)
def test_policies_decide_like_the_linter_on_every_fixture(rule: Rule, output_format: ExportFormat) -> None:
    alone = BUILTIN.select([rule.meta.id])
    policies = exported(alone, output_format)
    page = rule.meta.help_path.name if rule.meta.help_path else None
    differences, verdicts = [], {str(i): set() for i in range(len(policies))}
    for name, text in fixture_texts(rule.meta.id, page):
        for obj in objects(text):
            for i, policy in enumerate(policies):
                if not applies(policy, obj["kind"]):
                    continue
                decision = decide(policy, obj)
                findings = expected(alone, rule, policy, obj)
                verdicts[str(i)].add(bool(decision.denied))
                if bool(decision.denied) != bool(findings):
                    differences.append(
                        f"{name}: {obj['kind']}/{obj.get('metadata', {}).get('name')} policy "
                        f"{policy['metadata']['name']}: CEL {decision}; lint: {findings or 'nothing'}"
                    )
    assert not differences, "\n".join(differences)
    for i, seen in verdicts.items():
        assert seen == {True, False}, f"policy {policies[int(i)]['metadata']['name']} saw only {seen} verdicts"


def custom_rules() -> RuleSet:
    return RuleSet(tuple(load_custom_rules([CUSTOM / "rules"])))


@pytest.mark.parametrize("output_format", list(ExportFormat))
def test_custom_rules_decide_like_the_linter(output_format: ExportFormat) -> None:
    rules = custom_rules()
    differences, denied = [], 0
    for rule in rules.rules:
        policies = exported(RuleSet((rule,)), output_format)
        assert len(policies) == 1
        for path in sorted((CUSTOM / "manifests").glob("*.yaml")):
            for obj in objects(path.read_text(encoding="utf-8")):
                if not applies(policies[0], obj["kind"]):
                    continue
                decision = decide(policies[0], obj)
                findings = expected(RuleSet((rule,)), rule, policies[0], obj)
                denied += bool(decision.denied)
                if bool(decision.denied) != bool(findings):
                    differences.append(f"{path.name}: {obj['kind']} {rule.meta.id}: CEL {decision}; lint: {findings}")
    assert not differences, "\n".join(differences)
    assert denied == 3  # ORG001 twice, ORG002 once, as the example's README says


def test_a_custom_rule_without_a_cel_form_is_named(tmp_path: Path) -> None:
    rule_file = tmp_path / "rules" / "org.yaml"
    rule_file.parent.mkdir()
    rule_file.write_text(
        "id: ORG009\nname: labels-by-pattern\nseverity: low\nsummary: s\nkinds: [ConfigMap]\n"
        "schema: {patternProperties: {'^x-': {type: string}}}\n",
        encoding="utf-8",
    )
    text = export(RuleSet(tuple(load_custom_rules([rule_file.parent]))), ExportFormat.vap, ExportOptions())
    assert "#   ORG009 labels-by-pattern: its JSON Schema uses 'patternProperties'" in text
    assert "kind: ValidatingAdmissionPolicy" not in text


# What a cluster accepts: the upstream schemas of the kinds written.

_VAP_SCHEMA = Draft202012Validator(json.loads((HERE / "vap.schema.json").read_text(encoding="utf-8")))
_KYVERNO_SCHEMA = Draft4Validator(json.loads((HERE / "kyverno-clusterpolicy.schema.json").read_text(encoding="utf-8")))
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def all_rules() -> RuleSet:
    return RuleSet(tuple(sorted((*BUILTIN.rules, *custom_rules().rules), key=lambda r: r.meta.id)))


@pytest.mark.parametrize("action", [[], [Action.deny], [Action.audit], [Action.warn], [Action.deny, Action.audit]])
@pytest.mark.parametrize("output_format", list(ExportFormat))
def test_generated_objects_satisfy_the_upstream_schemas(output_format: ExportFormat, action: list[Action]) -> None:
    text = export(all_rules(), output_format, ExportOptions(frozenset(action), TRUSTED))
    written = documents(text)
    assert len(written) == (20 if output_format is ExportFormat.vap else 10)  # 8 built-in, 2 custom policies
    validator = _VAP_SCHEMA if output_format is ExportFormat.vap else _KYVERNO_SCHEMA
    for document in written:
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
        assert not problems, (document["metadata"]["name"], problems)
        name = document["metadata"]["name"]
        assert _NAME.match(name), name
        assert len(name) <= 253, name
        if document["kind"] == "ValidatingAdmissionPolicy":
            conditions = document["spec"]["matchConditions"]
            assert len(conditions) <= 64
            assert len({c["name"] for c in conditions}) == len(conditions)


def test_actions_map_to_each_format() -> None:
    def vap_actions(actions: list[Action]) -> list[list[str]]:
        text = export(BUILTIN.select(["TL003"]), ExportFormat.vap, ExportOptions(frozenset(actions)))
        return [d["spec"]["validationActions"] for d in documents(text) if "policyName" in d["spec"]]

    assert vap_actions([]) == [["Warn", "Audit"]]
    assert vap_actions([Action.deny]) == [["Deny"]]
    assert vap_actions([Action.deny, Action.audit]) == [["Deny", "Audit"]]
    kyverno = documents(export(BUILTIN.select(["TL003"]), ExportFormat.kyverno, ExportOptions()))[0]["spec"]
    assert (kyverno["validationFailureAction"], kyverno["emitWarning"]) == ("Audit", True)
    enforce = documents(
        export(BUILTIN.select(["TL003"]), ExportFormat.kyverno, ExportOptions(frozenset([Action.deny])))
    )
    assert enforce[0]["spec"]["validationFailureAction"] == "Enforce"
    assert "emitWarning" not in enforce[0]["spec"]


# Only what Kubernetes' CEL environment and the Python runtimes both evaluate.

_STRING = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_CALL = re.compile(r"\.?([A-Za-z_]\w*)\s*\(")
_ALLOWED_CALLS = frozenset({"has", "all", "exists", "map", "filter", "size", "matches", "contains", "startsWith"})
"""The macros and functions the exported CEL may call: standard CEL and its string functions."""


def test_only_standard_cel_is_written() -> None:
    seen: set[str] = set()
    for output_format in ExportFormat:
        for document in exported(all_rules(), output_format):
            for expression in _expressions(document):
                code = _STRING.sub("''", expression)
                assert "?." not in code, expression
                assert ".?" not in code, expression
                assert "optional" not in code, expression
                calls = set(_CALL.findall(code))
                assert calls <= _ALLOWED_CALLS, (calls - _ALLOWED_CALLS, expression)
                seen |= calls
    assert {"has", "all", "exists", "matches"} <= seen


def _expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expression", "messageExpression") and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _expressions(value)


# Stable output: golden files, regenerated with TOKENLINT_REGENERATE=1 after a reviewed change.


@pytest.mark.parametrize("output_format", list(ExportFormat))
def test_golden_output(output_format: ExportFormat) -> None:
    """The exported rules, three that are not, the example's custom rules and a trusted account,
    on a fixed day (a rule added later does not change it)."""
    options = ExportOptions(trusted_accounts=TRUSTED, today=date(2026, 1, 1))
    chosen = {r.meta.id for r in EXPORTED} | {"TL005", "TL007", "TL201", "ORG001", "ORG002"}
    rules = RuleSet(tuple(r for r in all_rules().rules if r.meta.id in chosen))
    text = export(rules, output_format, options).replace(f"tokenlint {__version__} ", "tokenlint VERSION ")
    golden = HERE / f"golden-{output_format.value}.yaml"
    if os.environ.get("TOKENLINT_REGENERATE") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == text, f"run TOKENLINT_REGENERATE=1 pytest {__file__} after review"


def test_cli_usage_errors() -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["export", "--format", "vap", "--action", "deny", "--action", "warn"])
    assert both.exit_code == 2
    assert "cannot be combined" in both.output
    unknown = runner.invoke(app, ["export", "--format", "gatekeeper"])
    assert unknown.exit_code == 2
    assert "gatekeeper" in unknown.output


def test_cli_writes_the_file_and_the_options(tmp_path: Path) -> None:
    config = tmp_path / ".tokenlint.yaml"
    config.write_text(
        "rules:\n  TL006: {max-expiration-seconds: 7200}\ntrusted-service-accounts: [ops/autoscaler]\n",
        encoding="utf-8",
    )
    out = tmp_path / "policies.yaml"
    outcome = CliRunner().invoke(
        app,
        ["export", "--format", "kyverno", "--config", str(config), "--select", "TL001,TL006", "-o", str(out),
         "--docs-url", "https://docs.example/rules/"],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    written = {d["metadata"]["name"]: d for d in documents(out.read_text(encoding="utf-8"))}
    assert sorted(written) == [
        "tokenlint-tl001-automount-service-account-token",
        "tokenlint-tl001-automount-service-account-token-serviceaccount",
        "tokenlint-tl006-long-lived-projected-token",
    ]
    tl006 = written["tokenlint-tl006-long-lived-projected-token"]["metadata"]["annotations"]
    assert tl006["tokenlint.io/options"] == '{"max-expiration-seconds": 7200}'
    assert tl006["tokenlint.io/docs"] == "https://docs.example/rules/long-lived-projected-token.md"
    tl001 = written["tokenlint-tl001-automount-service-account-token"]
    assert tl001["metadata"]["annotations"]["tokenlint.io/trusted-service-accounts"] == "ops/autoscaler"
    names = [c["name"] for c in tl001["spec"]["rules"][0]["celPreconditions"]]
    assert names == ["not-kubernetes-own", "not-control-plane-account", "not-suppressed", "not-trusted-service-account"]
    accounts = written["tokenlint-tl001-automount-service-account-token-serviceaccount"]["spec"]["rules"][0]
    assert "not-suppressed" not in [c["name"] for c in accounts["celPreconditions"]]
