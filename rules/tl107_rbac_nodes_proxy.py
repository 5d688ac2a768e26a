"""TL107 rbac-nodes-proxy: a role rule allows any verb on nodes/proxy."""

from __future__ import annotations

from tokenlint.k8s.rbac import NODES_PROXY
from tokenlint.model import Severity
from tokenlint.rulekit.capabilityrule import CAPABILITY_FIX_ADVICE, CapabilityRule
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "rbac-nodes-proxy"


class Rule(CapabilityRule):
    """nodes/proxy reaches the kubelet API, which runs commands in every pod of the node."""

    meta = RuleMeta(
        id="TL107",
        name=NAME,
        severity=Severity.CRITICAL,
        summary="a role rule allows any verb on nodes/proxy",
        help_path=page_beside(__file__, NAME),
        fix_advice=CAPABILITY_FIX_ADVICE,
    )
    capability = NODES_PROXY
