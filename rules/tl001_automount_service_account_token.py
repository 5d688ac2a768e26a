"""TL001 automount-service-account-token: a workload whose pods get a token mounted.

The decision needs the workload and its ServiceAccount, which may live in different
files, so the rule runs over the bundle. A pod spec that sets the field to true on purpose
and whose token reaches a TL1xx capability is left to TL201, which carries the chain: the
mount is intended, what it reaches is the finding. A pod that turns the automount off but
requests its account's token through its own projected volume with no audience (the API
server's) carries an API token all the same, and is reported there. When the ServiceAccount decides (the pod spec
does not set the field), the finding points at it too: a change to that file changes
the verdict, and a pre-commit run of that file alone must report the workload.
"""

from __future__ import annotations

from tokenlint.index import BundleIndex
from tokenlint.k8s.reach import AccountReach, reach_of
from tokenlint.k8s.serviceaccounts import AUTOMOUNT, TokenMount, TokenSource, api_tokens
from tokenlint.model import Related, Severity
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
            account_reach = reach.of_account(mount.key)
            account = f"ServiceAccount {mount.namespace}/{mount.name}"
            if not mount.mounted:
                projected = next(api_tokens(workload), None)
                if projected is None:
                    continue
                text, severity = worth(account_reach)
                ctx.report(
                    workload.resource,
                    projected,
                    f"pods get the token of {account} all the same: {mount.explain()}, but a projected"
                    f" serviceAccountToken volume with no audience requests one for the API server; {text}",
                    severity=severity,
                )
                continue
            if mount.source is TokenSource.POD and account_reach.paths:
                continue  # mounted on purpose: TL201 carries the chain of what it reaches
            text, severity = worth(account_reach)
            ctx.report(
                workload.resource,
                mount.field,
                f"pods get the token of {account} mounted: {mount.explain()}; {text}",
                severity=severity,
                related=_deciding_account(ctx, mount),
            )


def _deciding_account(ctx: Context, mount: TokenMount) -> list[Related]:
    """The ServiceAccount, when it is in the input and the pod spec leaves the decision to it."""
    if mount.account is None or mount.source is TokenSource.POD:
        return []
    field = (AUTOMOUNT,) if mount.source is TokenSource.SERVICE_ACCOUNT else ("metadata", "name")
    return [ctx.related(mount.account, field, mount.explain())]
