"""TL101 rbac-secrets-read: a role rule allows get, list or watch on secrets."""

from __future__ import annotations

from tokenlint.k8s.rbac import SECRETS_READ
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-secrets-read"


class Rule(CapabilityRule):
    """Reading secrets hands over every credential in their scope, legacy service account tokens included."""

    meta = RuleMeta(
        id="TL101",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows get, list or watch on secrets",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = SECRETS_READ
