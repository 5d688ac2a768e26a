"""TL109 rbac-webhook-config: a role rule allows writing admission webhook configurations."""

from __future__ import annotations

from tokenlint.k8s.rbac import WEBHOOK_CONFIG
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-webhook-config"


class Rule(CapabilityRule):
    """A mutating webhook sees, and can rewrite, every object sent to the API server."""

    meta = RuleMeta(
        id="TL109",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows writing admission webhook configurations",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = WEBHOOK_CONFIG
