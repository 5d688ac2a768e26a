"""TL110 cluster-admin-binding: a binding to cluster-admin, or to a role equal to it."""

from __future__ import annotations

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
