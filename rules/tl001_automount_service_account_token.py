"""TL001 automount-service-account-token: a workload whose pods get a token mounted.

The decision needs the workload and its ServiceAccount, which may live in different
files, so the rule runs over the bundle.
"""

from __future__ import annotations

from tokenlint.index import BundleIndex
from tokenlint.k8s.serviceaccounts import token_mount
from tokenlint.model import Severity
from tokenlint.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "automount-service-account-token"


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
        for workload in index.workloads:
            mount = token_mount(workload, index)
            if not mount.mounted:
                continue
            ctx.report(
                workload.resource,
                mount.field,
                f"pods get the token of ServiceAccount {mount.namespace}/{mount.name} mounted: {mount.explain()}",
            )
