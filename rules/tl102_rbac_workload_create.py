"""TL102 rbac-workload-create: a role rule allows creating pods or pod controllers."""

from __future__ import annotations

from tokenlint.k8s.rbac import WORKLOAD_CREATE
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-workload-create"


class Rule(CapabilityRule):
    """Whoever creates a pod chooses its service account, image and host mounts."""

    meta = RuleMeta(
        id="TL102",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows creating pods or pod controllers",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = WORKLOAD_CREATE
