"""TL003 rbac-wildcard-verb: ``*`` in the verbs of a Role or ClusterRole rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation, cel_string
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.policy import ALL, ROLE_KINDS, WRITTEN_RULES_CEL, describe_targets, entries, no_entry_cel
from tokenlint.model import Severity
from tokenlint.rulekit.rolerule import weighed_rules
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "rbac-wildcard-verb"


class Rule(BundleRule):
    """``verbs: ["*"]`` grants every verb, including the escalation verbs and future ones."""

    meta = RuleMeta(
        id="TL003",
        name=NAME,
        severity=Severity.HIGH,
        summary="Role or ClusterRole rule with '*' in verbs: every verb, including escalate, bind and impersonate",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no automatic change: which verbs the role needs cannot be known from the files; list them instead of '*'"
        ),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        rule_ok = no_entry_cel("r", "verbs", f"e == {cel_string(ALL)}")
        return (
            AdmissionCheck(
                kinds=tuple(sorted(ROLE_KINDS)),
                conditions=(("written-rules-apply", WRITTEN_RULES_CEL),),
                validations=(
                    Validation(
                        f"!has(object.rules) || object.rules.all(r, {rule_ok})",
                        "verbs '*' in a rule allows every verb, present and future, including escalate, bind and "
                        "impersonate; list only the verbs needed",
                    ),
                ),
                covers="Roles and ClusterRoles (not aggregated) with '*' in a rule's verbs",
            ),
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for resource, i, rule, weight in weighed_rules(index):
            for j, verb in entries(rule, "verbs"):
                if verb == ALL:
                    ctx.report(
                        resource,
                        ("rules", i, "verbs", j),
                        f"verbs '*' in rules[{i}] allows every verb on {describe_targets(rule)}, present and future, "
                        f"including escalate, bind and impersonate where they apply; list only the verbs needed"
                        f"{weight.note}",
                        severity=weight.severity,
                    )
