"""Where each kind keeps its pod template.

Pod templates live in Pod ``.spec``, ``.spec.template.spec`` (Deployment, StatefulSet,
DaemonSet, ReplicaSet, ReplicationController, Job, and custom resources with that shape,
such as Argo Rollouts), CronJob ``.spec.jobTemplate.spec.template.spec`` and PodTemplate
``.template.spec``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokenlint.model import FieldPath
from tokenlint.resources import Resource

TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"})
_TEMPLATE_SPEC: FieldPath = ("spec", "template", "spec")
_FIXED_PATHS: dict[str, FieldPath] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True)
class Workload:
    """A resource that makes pods, and the path of its pod spec."""

    resource: Resource
    spec_path: FieldPath

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.resource.get(self.spec_path)
        return spec if isinstance(spec, dict) else {}

    def path(self, *steps: str | int) -> FieldPath:
        """A field path below the pod spec."""
        return self.spec_path + steps


def pod_spec_path(resource: Resource) -> FieldPath | None:
    """The path of the pod spec of ``resource``, or None when it makes no pods.

    A custom resource counts when ``.spec.template.spec`` is a mapping holding
    ``containers``: that is the shape the Deployment-like operators copy.
    """
    kind = resource.kind
    fixed = _FIXED_PATHS.get(kind)
    if fixed is not None:
        return fixed
    if kind in TEMPLATE_KINDS:
        return _TEMPLATE_SPEC
    spec = resource.get(_TEMPLATE_SPEC)
    if isinstance(spec, dict) and "containers" in spec:
        return _TEMPLATE_SPEC
    return None


def workload_of(resource: Resource) -> Workload | None:
    """The workload view of ``resource``, or None when it makes no pods."""
    path = pod_spec_path(resource)
    return None if path is None else Workload(resource, path)
