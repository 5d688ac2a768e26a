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

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.reach import AccountReach, reach_of
from tokenlint.k8s.serviceaccounts import (
    AUTOMOUNT,
    AccountKey,
    TokenMount,
    TokenSource,
    account_name_cel,
    api_token_cel,
    api_tokens,
    automount_off_cel,
)
from tokenlint.k8s.workloads import WORKLOAD_KINDS, Workload, pod_spec_cel
from tokenlint.model import Fix, Related, Severity
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

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

    def admission(self, options: Mapping[str, Any]) -> Exported:
        # Admission sees the pod spec, never its ServiceAccount: the pod-level policy
        # decides as the linter does when the ServiceAccount is not in the input (mount
        # unless the pod spec says false), and a second policy checks ServiceAccounts.
        pods = AdmissionCheck(
            kinds=WORKLOAD_KINDS,
            variables=(("podSpec", pod_spec_cel()),),
            validations=(
                Validation(
                    automount_off_cel("variables.podSpec"),
                    f"pods get their service account token mounted: set {AUTOMOUNT}: false in the pod spec",
                    message_expression=(
                        f"'pods get the token of ServiceAccount ' + object.metadata.namespace + '/' + "
                        f"{account_name_cel('variables.podSpec')} + "
                        f"' mounted: the pod spec does not set {AUTOMOUNT}: false, and admission cannot see what the "
                        f"ServiceAccount sets; set {AUTOMOUNT}: false in the pod spec'"
                    ),
                ),
                Validation(
                    f"!({api_token_cel('variables.podSpec')})",
                    "pods get their service account token all the same: a projected serviceAccountToken volume with "
                    "no audience (or the API server's) requests one for the API server; set an audience or remove it",
                ),
            ),
            covers=f"pod specs that do not set {AUTOMOUNT}: false themselves, or that request an API token through "
            "a projected volume",
            account=account_name_cel("holder"),
            holder=pod_spec_cel(),
            limits=(
                f"the ServiceAccount is not part of the request: a pod spec that leaves {AUTOMOUNT} to a "
                "ServiceAccount setting false is denied too (the linter, which sees the ServiceAccount, accepts "
                "it); the ServiceAccount itself is checked by the serviceaccount policy",
            ),
        )
        accounts = AdmissionCheck(
            kinds=("ServiceAccount",),
            validations=(
                Validation(
                    automount_off_cel("object"),
                    f"pods that run as this ServiceAccount get its token mounted unless their pod spec says "
                    f"otherwise: set {AUTOMOUNT}: false on the ServiceAccount",
                ),
            ),
            covers=f"ServiceAccounts that do not set {AUTOMOUNT}: false (what a pod spec that sets nothing gets)",
            account="holder.metadata.name",
            # The linter reports the workloads, never the ServiceAccount: an annotation on
            # it suppresses nothing (TL008). Trusted service accounts exempt it.
            suppressible=False,
            part="serviceaccount",
        )
        return (pods, accounts)

    def check(self, index: BundleIndex, ctx: Context) -> None:
        reach = reach_of(index)
        mounted: defaultdict[AccountKey, list[tuple[Workload, TokenMount]]] = defaultdict(list)
        for workload in index.workloads:
            mount = reach.mount(workload)
            if mount.mounted:
                mounted[mount.key].append((workload, mount))
                continue
            projected = next(api_tokens(workload), None)
            if projected is not None:
                text, severity = worth(reach.of_account(mount.key))
                ctx.report(
                    workload.resource,
                    projected,
                    f"pods get the token of ServiceAccount {mount.namespace}/{mount.name} all the same:"
                    f" {mount.explain()}, but a projected serviceAccountToken volume with no audience requests one"
                    f" for the API server; {text}",
                    severity=severity,
                )
        for key, users in mounted.items():
            account_reach = reach.of_account(key)
            text, severity = worth(account_reach)
            on_account = _account_may_close(account_reach, users)
            for workload, mount in users:
                if mount.source is TokenSource.POD and account_reach.paths:
                    continue  # mounted on purpose: TL201 carries the chain of what it reaches
                account = f"ServiceAccount {mount.namespace}/{mount.name}"
                ctx.report(
                    workload.resource,
                    mount.field,
                    f"pods get the token of {account} mounted: {mount.explain()}; {text}",
                    severity=severity,
                    related=_deciding_account(ctx, mount),
                    fix=_fix(ctx, workload, mount, account_reach, on_account),
                )


def _account_may_close(reach: AccountReach, users: list[tuple[Workload, TokenMount]]) -> bool:
    """Whether the mount is best closed on the ServiceAccount itself.

    Only when the token is worth nothing, the account is in the input and leaves the
    choice to Kubernetes' default, and no pod spec in the bundle asks for the token on
    purpose: then one line covers every pod that runs as it, including future ones.
    """
    account = users[0][1].account
    return (
        _worthless(reach)
        and account is not None
        and not isinstance(account.body.get(AUTOMOUNT), bool)
        and all(mount.source is not TokenSource.POD for _, mount in users)
    )


def _worthless(reach: AccountReach) -> bool:
    return not reach.paths and not reach.unknown


def _fix(ctx: Context, workload: Workload, mount: TokenMount, reach: AccountReach, on_account: bool) -> Fix:
    """Turn the mount off where it is safe; otherwise say why a person must decide."""
    if not _worthless(reach):
        return Fix(f"not changed: the token {reach.describe()}, and the workload may need it")
    if mount.source is not TokenSource.DEFAULT:
        return Fix(f"not changed: {mount.explain()} on purpose; set it to false if the pods never call the API")
    if on_account and mount.account is not None:
        change = ctx.set_field(mount.account, (AUTOMOUNT,), False)
        return Fix(f"set {AUTOMOUNT}: false on ServiceAccount {mount.namespace}/{mount.name}", (change,))
    change = ctx.set_field(workload.resource, workload.path(AUTOMOUNT), False)
    return Fix(f"set {AUTOMOUNT}: false in the pod spec", (change,))


def _deciding_account(ctx: Context, mount: TokenMount) -> list[Related]:
    """The ServiceAccount, when it is in the input and the pod spec leaves the decision to it."""
    if mount.account is None or mount.source is TokenSource.POD:
        return []
    field = (AUTOMOUNT,) if mount.source is TokenSource.SERVICE_ACCOUNT else ("metadata", "name")
    return [ctx.related(mount.account, field, mount.explain())]
