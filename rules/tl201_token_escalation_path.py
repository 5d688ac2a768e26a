"""TL201 token-escalation-path: a workload's token reaches a TL1xx capability; the whole chain.

One finding per workload, on the field that gives its pods the token, carrying the chain
as ordered related locations: workload, ServiceAccount, binding, role, the rule that
grants the capability, with the capability and its scope in the messages. The worst path
is the chain (cluster-wide before namespaced, unrestricted before ``resourceNames``);
every other capability the token reaches is listed in the message.
"""

from __future__ import annotations

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.reach import AccountReach, Path, reach_of
from tokenlint.k8s.serviceaccounts import TokenMount, api_tokens
from tokenlint.k8s.workloads import Workload
from tokenlint.model import FieldPath, Related, Severity
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "token-escalation-path"


def _head(ctx: Context, workload: Workload, anchor: FieldPath, how: str, mount: TokenMount) -> list[Related]:
    """The steps that belong to the workload: its token field and its ServiceAccount."""
    res = workload.resource
    steps = [ctx.related(res, anchor, f"{res.kind} {res.name}: its pods get the token: {how}")]
    if mount.account is not None:
        steps.append(ctx.related(mount.account, ("metadata", "name"), f"ServiceAccount {mount.namespace}/{mount.name}"))
    return steps


def _message(mount: TokenMount, reach: AccountReach, worst: Path) -> str:
    binding, grant = worst.binding, worst.grant
    title = grant.capability.title
    if grant.bounded:
        title = "write roles and bindings (without bind or escalate: only with permissions it already holds)"
    text = (
        f"pods get the token of ServiceAccount {mount.namespace}/{mount.name}, which can {title} "
        f"{binding.where()} ({grant.capability.id}) through {binding.resource.kind} {binding.resource.name} "
        f"and {binding.role.display()}"
    )
    others = [c for c in reach.capabilities if c != grant.capability.id]
    if others:
        text += f"; it also reaches {', '.join(others)}"
    return text


class Rule(BundleRule):
    """The finding a reader acts on first: a pod whose token walks somewhere dangerous."""

    meta = RuleMeta(
        id="TL201",
        name=NAME,
        severity=Severity.HIGH,
        summary="a workload's pods get a token whose service account reaches a TL1xx capability; carries the chain",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "close one link of the chain: turn the token mount off (TL001) if the pods never call the API, "
            "else narrow the role or remove the binding"
        ),
    )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        reach = reach_of(index)
        for workload in index.workloads:
            mount = reach.mount(workload)
            if mount.mounted:
                anchor, how = mount.field, mount.explain()
            else:
                projected = next(api_tokens(workload), None)
                if projected is None:
                    continue  # a token for another audience is no API credential
                anchor, how = projected, "a projected serviceAccountToken volume for the API server's audience"
            account = reach.of_account(mount.key)
            worst = account.worst
            if worst is None:
                continue
            ctx.report(
                workload.resource,
                anchor,
                _message(mount, account, worst),
                severity=worst.severity,
                related=[*_head(ctx, workload, anchor, how, mount), *worst.steps],
                chain=True,
                properties={
                    "capabilities": ",".join(account.capabilities),
                    "scope": "cluster" if worst.cluster_wide else str(worst.binding.scope),
                },
            )
