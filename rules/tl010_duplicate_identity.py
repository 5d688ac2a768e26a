"""TL010 duplicate-identity: two documents of one bundle claim the same object.

Kubernetes keeps one object per kind, namespace and name. When two documents of what is
deployed together define it (a chart rendered with two sets of values into one folder, a
base and a patch both written as full objects, two copies of one app), the result
depends on which one is applied last, and a reviewer reading one of them is misled.

tokenlint follows ``kubectl apply`` over the folder: the last document wins for every
lookup (a workload's ServiceAccount, a binding's role, the policies of a namespace), and
the finding says which one was used. Every document that is a subject of a rule is still
judged on its own, so a duplicate never hides the findings of the other copy. Only the
kinds tokenlint reasons about are compared: workloads, ServiceAccounts, roles, bindings,
network policies, namespaces and token Secrets.
"""

from __future__ import annotations

from tokenlint.k8s.index import BundleIndex
from tokenlint.model import Severity
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "duplicate-identity"
_NAME_FIELD = ("metadata", "name")


class Rule(BundleRule):
    """Two definitions of one object: what is deployed depends on the order of apply."""

    meta = RuleMeta(
        id="TL010",
        name=NAME,
        severity=Severity.MEDIUM,
        summary="two documents in one bundle define the same kind, namespace and name",
        help_path=page_beside(__file__, NAME),
    )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for earlier, later in index.duplicates:
            first = earlier.locate(_NAME_FIELD)
            used = later.locate(_NAME_FIELD)
            ctx.report(
                later,
                _NAME_FIELD,
                f"{later.ref.display()} is also defined at {first.path}:{first.line}; the last definition"
                f" ({used.path}:{used.line}) is the one used for lookups, as `kubectl apply` of both would leave it;"
                " keep one definition",
                related=[ctx.related(earlier, _NAME_FIELD, "the other definition")],
            )
