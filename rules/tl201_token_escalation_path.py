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


def _tail(ctx: Context, path: Path) -> tuple[Related, ...]:
    """The steps that belong to the path (binding, role, rule), shared by every workload on it."""
    binding, grant = path.binding, path.grant
    role, rule = binding.role, grant.rule
    steps = [
        ctx.related(
            binding.resource,
            ("subjects", binding.subject.index),
            f"{binding.resource.kind} {binding.resource.name} binds {role.display()} {binding.where()} "
            f"to {binding.subject.display()}",
        )
    ]
    if role.resource is not None:
        via = " (aggregated)" if role.aggregated else ""
        steps.append(ctx.related(role.resource, ("metadata", "name"), f"{role.display()}{via}"))
    capability = f"{grant.capability.id} {grant.capability.title}, {binding.where()}"
    if rule.origin is not None:
        where = f"{rule.origin.kind} {rule.origin.name} rules[{rule.index}]"
        text = f"{where} allows {grant.describe()}: {capability}"
        steps.append(ctx.related(rule.origin, ("rules", rule.index), text, label=capability))
    else:
        text = f"built-in {role.display()} allows {grant.describe()}: {capability}"
        steps.append(ctx.related(binding.resource, ("roleRef", "name"), text, label=capability))
    return tuple(steps)


def _message(mount: TokenMount, reach: AccountReach, worst: Path) -> str:
    binding, grant = worst.binding, worst.grant
    text = (
        f"pods get the token of ServiceAccount {mount.namespace}/{mount.name}, which can {grant.capability.title} "
        f"{binding.where()} ({grant.capability.id}) through {binding.resource.kind} {binding.resource.name} "
        f"and {binding.role.display()}"
    )
    others = [c for c in reach.capabilities if c != grant.capability.id]
    if others:
        text += f"; it also reaches {', '.join(others)}"
    return text


def _severity(worst: Path) -> Severity:
    """Cluster-wide, every capability is cluster-admin-equivalent (any namespace's secrets and
    tokens, pods as any account, every node), except writing RBAC without bind or escalate,
    which escalation prevention bounds to what the token holds: one step lower."""
    if worst.grant.bounded:
        return Severity.HIGH if worst.cluster_wide else Severity.MEDIUM
    return Severity.CRITICAL if worst.cluster_wide else Severity.HIGH


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
        tails: dict[int, tuple[Related, ...]] = {}
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
            tail = tails.get(id(worst))
            if tail is None:
                tail = tails[id(worst)] = _tail(ctx, worst)
            ctx.report(
                workload.resource,
                anchor,
                _message(mount, account, worst),
                severity=_severity(worst),
                related=[*_head(ctx, workload, anchor, how, mount), *tail],
                chain=True,
                properties={
                    "capabilities": ",".join(account.capabilities),
                    "scope": "cluster" if worst.cluster_wide else str(worst.binding.scope),
                },
            )
