"""TL106 rbac-token-request: a role rule allows creating tokens for service accounts."""

from __future__ import annotations

from tokenlint.k8s.rbac import TOKEN_REQUEST
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-token-request"


class Rule(CapabilityRule):
    """Minting tokens for other accounts makes their permissions yours, for as long as you like."""

    meta = RuleMeta(
        id="TL106",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows creating tokens for service accounts",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = TOKEN_REQUEST
