"""TL108 rbac-csr-approval: a role rule allows approving certificate signing requests."""

from __future__ import annotations

from tokenlint.k8s.rbac import CSR_APPROVAL
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-csr-approval"


class Rule(CapabilityRule):
    """Approving CSRs issues client certificates for any user or group."""

    meta = RuleMeta(
        id="TL108",
        name=NAME,
        severity=Severity.CRITICAL,
        summary="a role rule allows approving certificate signing requests",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = CSR_APPROVAL
