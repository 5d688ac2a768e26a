"""TL001 automount-service-account-token: a workload whose pods get a token mounted.

The decision needs the workload and its ServiceAccount, which may live in different
files, so the rule runs over the bundle.
"""

from __future__ import annotations

from tokenlint.index import BundleIndex
from tokenlint.k8s.reach import AccountReach, reach_of
from tokenlint.model import Severity
from tokenlint.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "automount-service-account-token"


def worth(reach: AccountReach) -> tuple[str, Severity]:
    """What the mounted token is worth, from the bundle's bindings, and the severity it earns."""
    if reach.paths:
        return f"it {reach.describe()}, see TL201", Severity.HIGH
    if reach.unknown:
        return f"it {reach.describe()}", Severity.MEDIUM
    return f"it {reach.describe()}: disable the mount", Severity.LOW


class Rule(BundleRule):
    """The mounted token is the first link of every escalation chain: most pods never use it."""

    meta = RuleMeta(
        id="TL001",
        name=NAME,
        severity=Severity.MEDIUM,
        summary="pods get their service account token mounted (automountServiceAccountToken not false)",
        help_path=page_beside(__file__, NAME),
    )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        reach = reach_of(index)
        for workload in index.workloads:
            mount = reach.mount(workload)
            if not mount.mounted:
                continue
            text, severity = worth(reach.of_account(mount.key))
            account = f"ServiceAccount {mount.namespace}/{mount.name}"
            ctx.report(
                workload.resource,
                mount.field,
                f"pods get the token of {account} mounted: {mount.explain()}; {text}",
                severity=severity,
            )
