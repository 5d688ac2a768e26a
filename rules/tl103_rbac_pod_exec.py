"""TL103 rbac-pod-exec: a role rule allows exec, attach or port-forward into pods."""

from __future__ import annotations

from tokenlint.k8s.rbac import POD_EXEC
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-pod-exec"


class Rule(CapabilityRule):
    """Exec into a pod is a shell with that pod's token, secrets and network position."""

    meta = RuleMeta(
        id="TL103",
        name=NAME,
        severity=Severity.HIGH,
        summary="a role rule allows exec, attach or port-forward into pods",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = POD_EXEC
