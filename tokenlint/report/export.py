"""The rules as admission policies: ValidatingAdmissionPolicy or Kyverno ClusterPolicy YAML.

Each rule declares its own admission form (:meth:`tokenlint.rulekit.rule.Rule.admission`); this
module only wraps it in the objects a cluster accepts, one policy per declared check, and
adds what the configuration says about the run: the rule's options, its trusted service
accounts as exclusions, its suppression annotations and Kubernetes' own objects as match
conditions (the linter never reports those either). Rules that one admission request
cannot decide are named at the top of the output with the reason.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from ruamel.yaml import YAML

from tokenlint import __version__
from tokenlint.admission import AdmissionCheck, NotExportable, cel_list
from tokenlint.engine.suppress import ANNOTATION_PREFIX, TRUSTED_ACCOUNT_RULES, annotation_suppresses_cel
from tokenlint.k8s.apiresources import API_RESOURCES
from tokenlint.k8s.defaults import control_plane_cel, not_own_cel
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import Rule, RuleMeta

MANAGED_BY = {"app.kubernetes.io/managed-by": "tokenlint"}


class ExportFormat(StrEnum):
    vap = "vap"
    kyverno = "kyverno"


class Action(StrEnum):
    """What a violation does: recorded in the audit log, a warning to the client, or denied."""

    audit = "audit"
    warn = "warn"
    deny = "deny"


DEFAULT_ACTIONS = frozenset({Action.warn, Action.audit})


class ExportError(ValueError):
    """A combination of options that no cluster accepts."""


@dataclass(frozen=True)
class ExportOptions:
    """What the configuration and the command line say about the exported policies.

    ``rule_options`` are the options configured per rule id (defaults fill the rest);
    ``docs_url`` is where the rule pages are published (``<docs_url>/<name>.md``);
    ``today`` is the day suppressions with an ``until`` date are judged on.
    """

    actions: frozenset[Action] = DEFAULT_ACTIONS
    trusted_accounts: frozenset[tuple[str, str]] = frozenset()
    rule_options: Mapping[str, Mapping[str, Any]] | None = None
    docs_url: str | None = None
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Policy:
    """One declared check of one rule, with the match conditions the run adds to it."""

    meta: RuleMeta
    check: AdmissionCheck
    options: Mapping[str, Any]
    conditions: tuple[tuple[str, str], ...]
    trusted: tuple[str, ...]
    docs: str

    @property
    def name(self) -> str:
        return "-".join(p for p in ("tokenlint", self.meta.id.lower(), self.meta.name, self.check.part) if p)


@dataclass(frozen=True)
class Plan:
    """The policies of an export, and the selected rules that have none, with the reason."""

    policies: tuple[Policy, ...]
    skipped: tuple[tuple[RuleMeta, str], ...]


def plan(rules: RuleSet, options: ExportOptions) -> Plan:
    """Ask each selected rule for its admission form and add the run's conditions."""
    policies: list[Policy] = []
    skipped: list[tuple[RuleMeta, str]] = []
    configured = options.rule_options or {}
    for rule in rules.rules:
        meta = rule.meta
        resolved = {**meta.defaults(), **configured.get(meta.id, {})}
        exported = rule.admission(resolved)
        if isinstance(exported, NotExportable):
            skipped.append((meta, exported.reason))
            continue
        for check in exported:
            policies.append(_policy(rule, check, resolved, options))
    return Plan(tuple(policies), tuple(skipped))


def _policy(rule: Rule, check: AdmissionCheck, resolved: Mapping[str, Any], options: ExportOptions) -> Policy:
    meta = rule.meta
    conditions = [("not-kubernetes-own", not_own_cel())]
    control_plane = check.on_account(lambda account: f"!({control_plane_cel(account)})")
    if control_plane is not None:
        conditions.append(("not-control-plane-account", control_plane))
    conditions.extend(check.conditions)
    if check.suppressible:
        suppressed = annotation_suppresses_cel((meta.id, meta.name), options.today)
        conditions.append(("not-suppressed", f"!({suppressed})"))
    trusted: list[str] = []
    if meta.id in TRUSTED_ACCOUNT_RULES and options.trusted_accounts:
        trusted = sorted(f"{ns}/{name}" for ns, name in options.trusted_accounts)
        excluded = check.on_account(
            lambda account: (
                f"!has(object.metadata.namespace) || !((object.metadata.namespace + '/' + {account}) "
                f"in {cel_list(trusted)})"
            )
        )
        if excluded is None:
            trusted = []
        else:
            conditions.append(("not-trusted-service-account", excluded))
    return Policy(meta, check, resolved, tuple(conditions), tuple(trusted), _docs(meta, options.docs_url))


def _docs(meta: RuleMeta, base: str | None) -> str:
    """A link to the rule's page when the pages are published, else where to read it."""
    if meta.help_path is None:
        return f"tokenlint explain {meta.id}"
    if base:
        return f"{base.rstrip('/')}/{meta.help_path.name}"
    return f"rules/{meta.help_path.name} (tokenlint explain {meta.id})"


def _annotations(policy: Policy) -> dict[str, str]:
    meta, check = policy.meta, policy.check
    found = {
        "tokenlint.io/rule": meta.id,
        "tokenlint.io/rule-name": meta.name,
        "tokenlint.io/docs": policy.docs,
        "tokenlint.io/covers": check.covers,
    }
    if check.suppressible:
        found["tokenlint.io/suppression"] = (
            f"annotation {ANNOTATION_PREFIX}{meta.id} (or {ANNOTATION_PREFIX}{meta.name}) with a reason on the object"
        )
    if policy.options:
        found["tokenlint.io/options"] = json.dumps(dict(policy.options), sort_keys=True)
    if policy.trusted:
        found["tokenlint.io/trusted-service-accounts"] = ", ".join(policy.trusted)
    if check.limits:
        found["tokenlint.io/limits"] = "; ".join(check.limits)
    return found


def _named(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "expression": expression} for name, expression in pairs]


def _validations(check: AdmissionCheck, reason: bool) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for validation in check.validations:
        entry = {"expression": validation.expression, "message": validation.message}
        if validation.message_expression:
            entry["messageExpression"] = validation.message_expression
        if reason:
            entry["reason"] = "Forbidden"
        found.append(entry)
    return found


def vap_documents(policy: Policy, actions: frozenset[Action]) -> list[dict[str, Any]]:
    """A ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1)."""
    check = policy.check
    groups: dict[tuple[str, str], list[str]] = {}
    for kind in check.kinds:
        api = API_RESOURCES[kind]
        groups.setdefault((api.group, api.version), []).append(api.plural)
    rules = [
        {
            "apiGroups": [group],
            "apiVersions": [version],
            "operations": list(check.operations),
            "resources": sorted(plurals),
        }
        for (group, version), plurals in sorted(groups.items())
    ]
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": rules},
        "matchConditions": _named(policy.conditions),
    }
    if check.variables:
        spec["variables"] = _named(check.variables)
    spec["validations"] = _validations(check, reason=True)
    metadata = {"name": policy.name, "labels": dict(MANAGED_BY), "annotations": _annotations(policy)}
    order = {Action.deny: "Deny", Action.warn: "Warn", Action.audit: "Audit"}
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": policy.name, "labels": dict(MANAGED_BY)},
        "spec": {"policyName": policy.name, "validationActions": [v for k, v in order.items() if k in actions]},
    }
    vap = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy"}
    return [{**vap, "metadata": metadata, "spec": spec}, binding]


def kyverno_documents(policy: Policy, actions: frozenset[Action]) -> list[dict[str, Any]]:
    """A Kyverno ClusterPolicy (kyverno.io/v1) whose one rule validates with CEL."""
    meta, check = policy.meta, policy.check
    cel: dict[str, Any] = {}
    if check.variables:
        cel["variables"] = _named(check.variables)
    cel["expressions"] = _validations(check, reason=False)
    rule = {
        "name": policy.name.removeprefix("tokenlint-"),
        "match": {"any": [{"resources": {"kinds": list(check.kinds), "operations": list(check.operations)}}]},
        "celPreconditions": _named(policy.conditions),
        "validate": {"cel": cel},
    }
    annotations = {
        "policies.kyverno.io/title": f"{meta.id} {meta.name}",
        "policies.kyverno.io/category": "tokenlint",
        "policies.kyverno.io/severity": meta.severity.label,
        "policies.kyverno.io/subject": ", ".join(check.kinds),
        "policies.kyverno.io/description": meta.summary,
        **_annotations(policy),
    }
    spec: dict[str, Any] = {
        "validationFailureAction": "Enforce" if Action.deny in actions else "Audit",
        "background": True,
    }
    if Action.warn in actions:
        spec["emitWarning"] = True
    spec["rules"] = [rule]
    metadata = {"name": policy.name, "labels": dict(MANAGED_BY), "annotations": annotations}
    return [{"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": metadata, "spec": spec}]


def check_actions(actions: Iterable[Action]) -> frozenset[Action]:
    """The actions asked for (default warn and audit); deny and warn exclude each other,
    as the API server requires of a binding's validationActions."""
    chosen = frozenset(actions) or DEFAULT_ACTIONS
    if {Action.deny, Action.warn} <= chosen:
        raise ExportError("--action deny and --action warn cannot be combined: a denied request gets the message")
    return chosen


def export(rules: RuleSet, output_format: ExportFormat, options: ExportOptions) -> str:
    """The policies of the selected rules as one multi-document YAML text."""
    actions = check_actions(options.actions)
    found = plan(rules, options)
    write = vap_documents if output_format is ExportFormat.vap else kyverno_documents
    documents = [document for policy in found.policies for document in write(policy, actions)]
    header = [
        f"Admission policies written by tokenlint {__version__} (tokenlint export --format {output_format.value}).",
        f"{_count(len(found.policies), 'policy', 'policies')} from "
        f"{_count(len({p.meta.id for p in found.policies}), 'rule', 'rules')}; action: "
        f"{', '.join(sorted(a.value for a in actions))}.",
        f"Suppressions with an until date are judged as of {options.today.isoformat()}: export again to expire them.",
    ]
    if found.skipped:
        header.append("Not exportable (one admission request cannot decide them):")
        header.extend(f"  {meta.id} {meta.name}: {reason}" for meta, reason in found.skipped)
    return "".join(f"# {line}\n" for line in header) + dump_yaml(documents)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def dump_yaml(documents: list[dict[str, Any]]) -> str:
    """Block-style YAML, one document per object, lines never folded (CEL stays readable)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 1 << 16
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    stream = io.StringIO()
    yaml.dump_all(documents, stream)
    text = stream.getvalue()
    return "---\n" + text.replace("\n...\n", "\n").replace("\n---\n", "\n---\n") if text else ""
