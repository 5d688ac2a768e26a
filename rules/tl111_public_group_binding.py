"""TL111 public-group-binding: a binding to anonymous, unauthenticated, authenticated or all-accounts groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation, cel_list
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import discovery_only, writes_objects
from tokenlint.k8s.reach import (
    ANONYMOUS,
    AUTHENTICATED,
    PUBLIC_GROUPS,
    PUBLIC_KINDS,
    SA_GROUP,
    UNAUTHENTICATED,
    reach_of,
)
from tokenlint.model import Severity
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "public-group-binding"

_WHO = {
    ANONYMOUS: "anyone who can reach the API server, without credentials",
    UNAUTHENTICATED: "anyone who can reach the API server, without credentials",
    AUTHENTICATED: "every authenticated caller, every service account token of the cluster included",
    SA_GROUP: "every service account token of the cluster",
}


class Rule(BundleRule):
    """A grant to a public group is a grant to every pod's token, or to no token at all."""

    meta = RuleMeta(
        id="TL111",
        name=NAME,
        severity=Severity.HIGH,
        summary="a binding grants a role to anonymous, unauthenticated or all authenticated callers, or all accounts",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no automatic change: bind the role to the service accounts or groups that need it instead of a "
            "public group"
        ),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        public = f"s.kind in {cel_list(PUBLIC_KINDS)} && s.name in {cel_list(sorted(PUBLIC_GROUPS))}"
        return (
            AdmissionCheck(
                kinds=("ClusterRoleBinding", "RoleBinding"),
                validations=(
                    Validation(
                        f"!has(object.subjects) || !object.subjects.exists(s, {public})",
                        "grants a role to a public group: anyone who can reach the API server, or every service "
                        "account token of the cluster",
                    ),
                ),
                covers=f"bindings to {', '.join(sorted(PUBLIC_GROUPS))}",
            ),
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for binding in reach_of(index).bindings:
            subject = binding.subject
            if not subject.public:
                continue
            role = binding.role
            reached = sorted({g.capability.id for g in role.grants if binding.scope is None or not g.cluster_only})
            if role.full_wildcard or reached:
                worth, severity = f"which reaches {', '.join(reached) or 'every permission'}", Severity.CRITICAL
            elif not role.known:
                worth, severity = "which is not in the input (unknown permissions)", self.meta.severity
            elif discovery_only(role):
                worth, severity = (
                    "which only allows discovery (non-resource URLs such as /api, /version, /healthz) and reviews of"
                    " the caller's own access",
                    Severity.LOW,
                )
            elif writes_objects(role):
                worth, severity = "which reaches no TL1xx capability but writes API objects", self.meta.severity
            else:
                worth, severity = "which reaches no TL1xx capability but reads API objects", Severity.MEDIUM
            who = f"{subject.display()}, that is {_WHO[subject.name]}"
            ctx.report(
                binding.resource,
                ("subjects", subject.index),
                f"grants {role.display()} {binding.where()} to {who}, {worth}",
                severity=severity,
            )
