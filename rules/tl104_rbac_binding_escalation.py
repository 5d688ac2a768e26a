"""TL104 rbac-binding-escalation: a role rule allows writing roles or bindings, or the bind/escalate verbs."""

from __future__ import annotations

from tokenlint.k8s.rbac import BINDING_ESCALATION
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-binding-escalation"


class Rule(CapabilityRule):
    """A token that can write RBAC can give itself any permission."""

    meta = RuleMeta(
        id="TL104",
        name=NAME,
        severity=Severity.CRITICAL,
        summary="a role rule allows writing roles or bindings, or the bind/escalate verbs",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = BINDING_ESCALATION
