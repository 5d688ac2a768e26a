"""TL004 rbac-wildcard-resource: ``*`` in the apiGroups, resources or nonResourceURLs of a rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation, cel_string
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.policy import (
    ALL,
    ROLE_KINDS,
    WRITTEN_RULES_CEL,
    Wildcard,
    describe_verbs,
    entries,
    no_entry_cel,
    read_only_url,
    strings,
    wildcard,
)
from tokenlint.model import Severity
from tokenlint.rulekit.rolerule import weighed_rules
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "rbac-wildcard-resource"
_FIELDS = ("apiGroups", "resources", "nonResourceURLs")
_CLUSTER_ONLY = "nonResourceURLs"


def _grant(field: str, value: str, kind: Wildcard, verbs: str) -> str:
    """What the wildcard gives, and how to narrow it, in words."""
    if kind is Wildcard.LITERAL:
        return (
            f"reads as a wildcard but Kubernetes RBAC compares it literally (only '*' and '*/<subresource>' are "
            f"wildcards), so it matches no request; list the exact {field} needed"
        )
    if field == "apiGroups":
        return (
            f"grants {verbs} in every API group, including groups that CRDs add later; "
            "list the groups needed ('' is the core group)"
        )
    if field == "resources" and kind is Wildcard.ALL:
        return (
            f"grants {verbs} on every resource of the rule's API groups, including secrets, pods/exec and resources "
            "added later; list the resources needed"
        )
    if field == "resources":
        sub = value[2:]
        return f"grants {verbs} on the {sub} subresource of every resource; name each one, e.g. deployments/{sub}"
    if kind is Wildcard.ALL:
        return f"grants {verbs} on every non-resource URL (/metrics, /logs, /debug/pprof, ...); list the paths needed"
    return f"grants {verbs} on every path below {value.rstrip('*')}; list the paths needed"


class Rule(BundleRule):
    """A wildcard resource, group or URL grants more than anyone reviewed, including what is added later."""

    meta = RuleMeta(
        id="TL004",
        name=NAME,
        severity=Severity.HIGH,
        summary="Role or ClusterRole rule with '*' in apiGroups, resources or nonResourceURLs",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no automatic change: which API groups, resources or URLs the role needs cannot be known from "
            "the files; list them instead of '*'"
        ),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        # wildcard() is None exactly when the entry holds no '*': every other entry is reported.
        def field_ok(field: str) -> str:
            entry_ok = no_entry_cel("r", field, f"e.contains({cel_string(ALL)})")
            ok = f"!has(object.rules) || object.rules.all(r, {entry_ok})"
            return ok if field != _CLUSTER_ONLY else f"object.kind != 'ClusterRole' || {ok}"

        return (
            AdmissionCheck(
                kinds=tuple(sorted(ROLE_KINDS)),
                conditions=(("written-rules-apply", WRITTEN_RULES_CEL),),
                validations=tuple(
                    Validation(
                        field_ok(field),
                        f"'*' in {field} of a rule grants more than anyone reviewed, including what is added later; "
                        f"list the {field} needed",
                    )
                    for field in _FIELDS
                ),
                covers="Roles and ClusterRoles (not aggregated) with '*' in a rule's apiGroups, resources or, for "
                "ClusterRoles, nonResourceURLs",
            ),
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for resource, i, rule, weight in weighed_rules(index):
            # A Role cannot hold nonResourceURLs: validation rejects "namespaced rules cannot
            # apply to non-resource URLs", so only ClusterRoles are checked for them.
            fields = _FIELDS if resource.kind == "ClusterRole" else tuple(f for f in _FIELDS if f != _CLUSTER_ONLY)
            verbs = describe_verbs(rule)
            for field in fields:
                for j, value in entries(rule, field):
                    kind = wildcard(field, value)
                    if kind is None:
                        continue
                    text, severity = f"{field} '{value}' in rules[{i}] {_grant(field, value, kind, verbs)}", None
                    if kind is Wildcard.LITERAL:
                        severity = Severity.LOW
                    elif field == "nonResourceURLs" and _reads_discovery(rule, value):
                        text = f"{field} '{value}' in rules[{i}] allows {verbs} on {_DISCOVERY}"
                        severity = Severity.LOW
                    elif weight.severity is not None:
                        text, severity = text + weight.note, weight.severity
                    ctx.report(resource, ("rules", i, field, j), text, severity=severity)


_DISCOVERY = (
    "read-only paths that describe the API server (discovery, OpenAPI, version or health), which every"
    " authenticated caller may read through system:discovery; no object is exposed"
)


def _reads_discovery(rule: dict[str, Any], value: str) -> bool:
    """``get`` alone on a prefix that only reaches discovery-like paths (``/apis/*``)."""
    return set(strings(rule, "verbs")) <= {"get"} and read_only_url(value)
