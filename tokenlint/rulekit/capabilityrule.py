"""The shape shared by the capability rules TL101-TL109: one finding per role rule.

Each rule reports the role rules of the input that grant its capability, bound or not: a
dangerous rule in an unbound role is one ``RoleBinding`` away from being live (a Helm
value, a later commit), so it is still reported, at low severity, and the message says
that nothing in the bundle binds it. A rule limited by ``resourceNames``, or writing roles
and bindings without ``bind``/``escalate`` (bounded by escalation prevention), is reported
at medium at most and says so. Built-in roles (``admin``, ``edit``, ``system:*``...) are not the reader's to edit,
whether the input only references them or holds them as Kubernetes' own objects (a
cluster dump): the finding is on each binding's ``roleRef``.

Rules equal to cluster-admin's (``*`` verbs, resources and groups) are left to TL003,
TL004 and TL110, which name that power directly instead of listing every capability.
Whether a workload's token actually reaches the capability is TL201's question.
"""

from __future__ import annotations

from typing import ClassVar

from tokenlint.k8s.defaults import is_kubernetes_own
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import Capability, Grant, RoleView
from tokenlint.k8s.reach import Binding, reach_of
from tokenlint.model import Severity
from tokenlint.rulekit.rule import BundleRule, Context

CAPABILITY_FIX_ADVICE = (
    "no automatic change: which permissions the role's holders need cannot be known from the files; narrow the rule"
    " (verbs, resources, resourceNames) or remove the binding"
)
"""What ``tokenlint fix`` says of every capability finding: a person must choose what to keep."""


def bound_text(bindings: list[Binding]) -> str:
    """Where a role is bound, for a message: the scopes and the first binding's name."""
    if not bindings:
        return "no binding in this bundle uses it"
    first = bindings[0].resource.ref.display()
    more = f" and {len(bindings) - 1} more" if len(bindings) > 1 else ""
    scopes = sorted({b.where() for b in bindings})
    return f"bound {', '.join(scopes)} by {first}{more}"


def _not_the_readers(grant: Grant) -> bool:
    """A rule of a built-in role, absent from the input or Kubernetes' own object in a dump:
    nobody edits it, so the binding that hands it out is where the finding belongs."""
    origin = grant.rule.origin
    return origin is None or is_kubernetes_own(origin)


def _limits(grants: list[Grant]) -> str:
    """What bounds the capability, when every grant of one rule is bounded."""
    if grants and all(g.bounded for g in grants):
        return (
            " (without bind or escalate, RBAC's escalation prevention limits it to permissions the token already"
            " holds; it can still hand them to other subjects)"
        )
    return ""


class CapabilityRule(BundleRule):
    """Reports every role rule, and every binding of a built-in role, that grants ``capability``."""

    capability: ClassVar[Capability]

    def adjust(self, role: RoleView, grants: list[Grant], severity: Severity) -> Severity:
        """The severity of ``grants`` of ``role`` for this capability; a rule may refine it."""
        return severity

    def explain(self, role: RoleView) -> str:
        """What the capability means for ``role``, appended to the message; a rule may add it."""
        return ""

    def _severity(self, grants: list[Grant], bound: bool) -> Severity:
        if not bound:
            return Severity.LOW
        if all(g.names for g in grants) or all(g.bounded for g in grants):
            return min(self.meta.severity, Severity.MEDIUM)
        return self.meta.severity

    def _mine(self, role: RoleView) -> dict[int, list[Grant]]:
        """This rule's grants in ``role``, by rule index, wildcard-equal rules left out."""
        found: dict[int, list[Grant]] = {}
        for grant in role.grants:
            if grant.capability is self.capability and not grant.rule.is_full_wildcard:
                found.setdefault(grant.rule.index, []).append(grant)
        return found

    def check(self, index: BundleIndex, ctx: Context) -> None:
        reach = reach_of(index)
        title = self.capability.title
        for resource in index.written_roles:
            role = reach.roles.of(resource)
            if role.aggregated:
                continue  # its rules are reported where they are written
            bindings = reach.bindings_of_role(resource)
            for i, grants in self._mine(role).items():
                what = "; ".join(g.describe() for g in grants) + _limits(grants) + self.explain(role)
                ctx.report(
                    resource,
                    ("rules", i),
                    f"rules[{i}] lets a token {title}: it allows {what}; {bound_text(bindings)}",
                    severity=self.adjust(role, grants, self._severity(grants, bool(bindings))),
                )
        reported: set[int] = set()
        for binding in reach.bindings:
            if id(binding.resource) in reported:
                continue
            if binding.role.resource is not None and is_kubernetes_own(binding.resource):
                continue  # Kubernetes binding its own role of the input: the role's rules say it
            builtin = [
                g
                for rules in self._mine(binding.role).values()
                for g in rules
                if _not_the_readers(g) and (binding.scope is None or not g.cluster_only)
            ]
            if not builtin:
                continue
            reported.add(id(binding.resource))
            what = "; ".join(g.describe() for g in builtin) + _limits(builtin) + self.explain(binding.role)
            ctx.report(
                binding.resource,
                ("roleRef", "name"),
                f"binds {binding.role.display()} {binding.where()}, which lets a token {title}: it allows {what}",
                severity=self.adjust(binding.role, builtin, self._severity(builtin, bound=True)),
            )
