"""TL105 rbac-impersonate: a role rule allows impersonating users, groups, service accounts or uids."""

from __future__ import annotations

from tokenlint.k8s.rbac import IMPERSONATE
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-impersonate"


class Rule(CapabilityRule):
    """Impersonation acts as anyone, including `system:masters`."""

    meta = RuleMeta(
        id="TL105",
        name=NAME,
        severity=Severity.CRITICAL,
        summary="a role rule allows impersonating users, groups, service accounts or uids",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = IMPERSONATE
