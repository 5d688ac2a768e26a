"""TL110 cluster-admin-binding: a binding to cluster-admin, or to a role equal to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation, cel_string
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import CLUSTER_ADMIN
from tokenlint.k8s.reach import MASTERS, reach_of
from tokenlint.model import Severity
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "cluster-admin-binding"


class Rule(BundleRule):
    """cluster-admin is every permission, everywhere: whoever holds it needs no other link."""

    meta = RuleMeta(
        id="TL110",
        name=NAME,
        severity=Severity.CRITICAL,
        summary="a binding grants cluster-admin, or a role with its '*' rule, to a subject other than system:masters",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no automatic change: bind a role that grants only what the subject needs, then remove this binding"
        ),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        named = f"object.roleRef.kind == 'ClusterRole' && object.roleRef.name == {cel_string(CLUSTER_ADMIN)}"
        masters = f"s.kind == 'Group' && s.name == {cel_string(MASTERS)}"
        return (
            AdmissionCheck(
                kinds=("ClusterRoleBinding", "RoleBinding"),
                validations=(
                    Validation(
                        f"!({named}) || !has(object.subjects) || object.subjects.all(s, {masters})",
                        f"grants ClusterRole {CLUSTER_ADMIN}, every permission, to a subject other than {MASTERS}",
                    ),
                ),
                covers=f"bindings of ClusterRole {CLUSTER_ADMIN} to a subject other than the group {MASTERS}",
                limits=(
                    "a binding of another role whose rules equal cluster-admin's needs the role: the linter reports it "
                    "with the role in the input, admission does not (TL003 and TL004 deny such a role itself)",
                ),
            ),
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for bindings in reach_of(index).by_object().values():
            first = bindings[0]
            role = first.role
            named = role.kind == "ClusterRole" and role.name == CLUSTER_ADMIN
            if not (named or role.full_wildcard):
                continue
            # system:masters is how Kubernetes' own components and break-glass
            # credentials are admins already; binding it changes nothing.
            holders = [
                b.subject.display() for b in bindings if not (b.subject.kind == "Group" and b.subject.name == MASTERS)
            ]
            if not holders:
                continue
            equal = "" if named else " (its rules include '*' verbs on '*' resources in '*' API groups)"
            scope = first.where()
            ctx.report(
                first.resource,
                ("roleRef", "name"),
                f"grants {role.display()}{equal} {scope} to {', '.join(holders)}",
                severity=Severity.CRITICAL if first.scope is None else Severity.HIGH,
            )
