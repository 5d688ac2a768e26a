"""TL202 node-token-theft: pods that can read the tokens of every pod on their node.

One stolen token usually means one service account; a pod with the node's filesystem,
its container runtime socket or a way out of its container holds every token of every
pod scheduled next to it, and the kubelet's own credentials. Each way in is reported at
the setting that opens it, so removing that one setting closes the finding.
"""

from __future__ import annotations

from tokenlint.k8s.nodeaccess import node_access
from tokenlint.k8s.workloads import workload_of
from tokenlint.model import Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta, page_beside

NAME = "node-token-theft"


class Rule(ResourceRule):
    """A pod that reads its node's files holds every co-located pod's token."""

    meta = RuleMeta(
        id="TL202",
        name=NAME,
        severity=Severity.HIGH,
        summary="pods can read the tokens of every pod on their node: credential hostPath, runtime socket, or escape",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no automatic change: node agents may need the mount; mount only the sub-folder they read, read-only,"
            " drop privileged and capabilities, and keep the agent's own token powerless"
        ),
    )

    def check(self, resource: Resource, ctx: Context) -> None:
        workload = workload_of(resource)
        if workload is None:
            return
        for access in node_access(workload):
            message = f"pods can read {access.gives}: {access.through}"
            if access.non_root:
                message += (
                    "; every container that mounts it runs as non-root without DAC capabilities, and the kubelet's"
                    " folders, kubeconfigs and runtime sockets belong to root, so file permissions stand in the way"
                    " unless the node loosens them"
                )
            ctx.report(resource, access.path, message, severity=Severity.MEDIUM if access.non_root else None)
