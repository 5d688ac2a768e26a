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
from tokenlint.resources.resource import Resource
from tokenlint.yaml.reader import YMap, YSeq

TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"})
_TEMPLATE_SPEC: FieldPath = ("spec", "template", "spec")
_FIXED_PATHS: dict[str, FieldPath] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_KINDS = tuple(sorted(TEMPLATE_KINDS | _FIXED_PATHS.keys()))
"""The built-in kinds that make pods."""


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


_SPEC_PATH = "pod spec path"


def pod_spec_path(resource: Resource) -> FieldPath | None:
    """The path of the pod spec of ``resource``, or None when it makes no pods.

    A custom resource counts when ``.spec.template.spec`` is a mapping holding
    ``containers``: that is the shape the Deployment-like operators copy. Worked out
    once per resource: the shape check, several rules, suppressions and the index ask.
    """
    derived = resource.derived
    if _SPEC_PATH not in derived:
        derived[_SPEC_PATH] = _find_pod_spec_path(resource)
    path: FieldPath | None = derived[_SPEC_PATH]
    return path


def _find_pod_spec_path(resource: Resource) -> FieldPath | None:
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


def pod_spec_cel(root: str = "object") -> str:
    """CEL for the pod spec of the object at ``root``, for every kind of :data:`WORKLOAD_KINDS`.

    Built from the same table as :func:`pod_spec_path`, so that an admission policy
    finds the pod spec where the linter does (custom resources excepted: a policy
    names its kinds).
    """
    branches = [
        f"{root}.kind == '{kind}' ? {root}.{'.'.join(map(str, path))} : " for kind, path in _FIXED_PATHS.items()
    ]
    return "".join(branches) + f"{root}.{'.'.join(map(str, _TEMPLATE_SPEC))}"


def workload_of(resource: Resource) -> Workload | None:
    """The workload view of ``resource``, or None when it makes no pods."""
    path = pod_spec_path(resource)
    return None if path is None else Workload(resource, path)


KEPT_CONTAINER_FIELDS = ("name", "ports", "volumeMounts")
DROPPED_POD_FIELDS = frozenset(
    {"affinity", "tolerations", "topologySpreadConstraints", "nodeSelector", "dnsConfig", "hostAliases", "overhead"}
)
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _slim_container(container: Any) -> Any:
    if not isinstance(container, YMap):
        return container
    slim = YMap((k, container[k]) for k in KEPT_CONTAINER_FIELDS if k in container)
    slim.line, slim.column = container.line, container.column
    slim.keypos = {k: container.keypos[k] for k in slim}
    return slim


def slim_for_index(workload: Workload) -> None:
    """Drop the parts of a kept workload's pod spec that no cross-file rule reads.

    The bundle index keeps every workload until the cross-file rules have run, and
    container details (commands, env, probes, resources) and scheduling constraints
    are most of a workload's size; per-resource rules have already seen them in full.
    Containers keep their name, ports and volume mounts, so the pod spec still has the
    shape that makes a custom resource a workload, and positions stay exact. A field
    that holds a credential stays whole: its finding is reported there.
    """
    spec = workload.resource.get(workload.spec_path)
    if not isinstance(spec, YMap):
        return
    depth = len(workload.spec_path)
    holding = {c.path[depth : depth + 2] for c in workload.resource.credentials if c.path[:depth] == workload.spec_path}
    for key in DROPPED_POD_FIELDS.intersection(spec):
        if not any(held[:1] == (key,) for held in holding):
            del spec[key]
            del spec.keypos[key]
    for key in CONTAINER_LISTS:
        containers = spec.get(key)
        if isinstance(containers, YSeq):
            slim = YSeq(c if (key, i) in holding else _slim_container(c) for i, c in enumerate(containers))
            slim.line, slim.column, slim.itempos = containers.line, containers.column, containers.itempos
            spec[key] = slim
