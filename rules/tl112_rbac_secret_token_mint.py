"""TL112 rbac-secret-token-mint: a role rule allows creating Secrets, so service-account-token Secrets."""

from __future__ import annotations

from tokenlint.k8s.rbac import SECRET_TOKEN_MINT, SECRETS_READ, WORKLOAD_CREATE, Grant, RoleView
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-secret-token-mint"


class Rule(CapabilityRule):
    """A Secret of type service-account-token is filled by the token controller with a token that never expires.

    The holder needs a way to read what the controller wrote: read access to secrets, or a
    pod that mounts the Secret. Without either in the same role the token is minted but out
    of reach, which is medium; with one of them it is high.
    """

    meta = RuleMeta(
        id="TL112",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows creating secrets: a service-account-token Secret mints a non-expiring token",
        help_path=page_beside(__file__, NAME),
    )
    capability = SECRET_TOKEN_MINT

    def adjust(self, role: RoleView, grants: list[Grant], severity: Severity) -> Severity:
        readable = any(g.capability in (SECRETS_READ, WORKLOAD_CREATE) for g in role.grants)
        return severity if readable else min(severity, Severity.MEDIUM)

    def explain(self, role: RoleView) -> str:
        readable = sorted({g.capability.id for g in role.grants if g.capability in (SECRETS_READ, WORKLOAD_CREATE)})
        if readable:
            how = f"the same role lets it read the token ({', '.join(readable)})"
        else:
            how = "reading the token needs read access to secrets or a pod that mounts the Secret"
        return (
            "; a Secret of type kubernetes.io/service-account-token naming any service account in scope is filled by"
            f" the token controller with a token of that account that never expires; {how}"
        )
