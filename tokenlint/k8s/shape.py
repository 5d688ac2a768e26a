"""Check the types of the fields tokenlint reads, once, before any rule runs.

The API server would reject ``verbs: "*"`` or ``containers: null``; tokenlint reports them
as input errors with their line (exit status 2) instead of guessing. Rules can then read
fields with plain lenient lookups: a field of the wrong type is simply absent to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Union

from tokenlint.k8s.workloads import pod_spec_path
from tokenlint.model import FieldPath, dotted
from tokenlint.resources.resource import Resource

Shape = Union[str, tuple[str, "Shape"], dict[str, "Shape"]]
"""``"str"``/``"bool"``/``"int"``/``"any"``, ``("list", item)``, ``("map", value)`` or a
dict of known fields (a mapping whose other fields are not checked)."""

_STRS: Shape = ("list", "str")
_LABELS: Shape = ("map", "any")
_SELECTOR: Shape = {
    "matchLabels": _LABELS,
    "matchExpressions": ("list", {"key": "str", "operator": "str", "values": ("list", "any")}),
}
_METADATA: Shape = {"name": "str", "namespace": "str", "labels": _LABELS, "annotations": _LABELS}
_POD_SPEC: Shape = {
    "containers": ("list", {"name": "str"}),
    "initContainers": ("list", {"name": "str"}),
    "automountServiceAccountToken": "bool",
    "serviceAccountName": "str",
    "serviceAccount": "str",
    "hostNetwork": "bool",
    "volumes": (
        "list",
        {"projected": {"sources": ("list", {"serviceAccountToken": {"expirationSeconds": "int", "path": "str"}})}},
    ),
}
_SUBJECTS: Shape = ("list", {"kind": "str", "name": "str", "namespace": "str"})
_BY_KIND: dict[str, dict[str, Shape]] = {
    "ServiceAccount": {"automountServiceAccountToken": "bool", "secrets": ("list", {"name": "str"})},
    "Role": {
        "rules": (
            "list",
            {"apiGroups": _STRS, "resources": _STRS, "verbs": _STRS, "resourceNames": _STRS, "nonResourceURLs": _STRS},
        )
    },
    "RoleBinding": {"roleRef": {"kind": "str", "name": "str", "apiGroup": "str"}, "subjects": _SUBJECTS},
    "NetworkPolicy": {
        "spec": {
            "podSelector": _SELECTOR,
            "policyTypes": _STRS,
            "egress": (
                "list",
                {
                    "to": ("list", {"ipBlock": {"cidr": "str", "except": _STRS}, "podSelector": _SELECTOR}),
                    "ports": ("list", {"protocol": "str", "endPort": "int"}),
                },
            ),
        }
    },
    "Secret": {"type": "str"},
}
_BY_KIND["ClusterRole"] = {**_BY_KIND["Role"], "aggregationRule": {"clusterRoleSelectors": ("list", _SELECTOR)}}
_BY_KIND["ClusterRoleBinding"] = _BY_KIND["RoleBinding"]

_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {"str": str, "bool": bool, "int": int}
_NAMES = {"str": "a string", "bool": "true or false", "int": "an integer", "list": "a list", "map": "a mapping"}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def _walk(value: Any, shape: Shape, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if shape == "any":
        return
    if isinstance(shape, str):
        wanted = _PYTHON_TYPES[shape]
        ok = isinstance(value, wanted) and not (shape == "int" and isinstance(value, bool))
        if not ok:
            yield path, f"{dotted(path)}: expected {_NAMES[shape]}, got {_describe(value)}"
        return
    if isinstance(shape, tuple):
        container, item = shape
        wanted_type = list if container == "list" else dict
        if not isinstance(value, wanted_type):
            yield path, f"{dotted(path)}: expected {_NAMES[container]}, got {_describe(value)}"
            return
        if item == "any":  # labels and annotations: only the container's type matters
            return
        entries = enumerate(value) if isinstance(value, list) else value.items()
        for key, child in entries:
            yield from _walk(child, item, (*path, key))
        return
    if not isinstance(value, dict):
        yield path, f"{dotted(path)}: expected a mapping, got {_describe(value)}"
        return
    for key, child_shape in shape.items():
        if key in value and not (value[key] is None and key != "containers"):
            yield from _walk(value[key], child_shape, (*path, key))
        elif key == "containers" and key in value:
            yield (*path, key), f"{dotted((*path, key))}: expected a list, got null"


def problems(resource: Resource) -> Iterator[tuple[FieldPath, str]]:
    """Fields whose type Kubernetes would reject, as (field path, message) pairs."""
    body = resource.body
    if body.get("metadata") is not None:
        yield from _walk(body["metadata"], _METADATA, ("metadata",))
    fields = _BY_KIND.get(resource.kind)
    if fields is not None:
        yield from _walk(body, fields, ())
    spec_path = pod_spec_path(resource)
    if spec_path is not None:
        spec = resource.get(spec_path)
        if spec is not None or resource.kind == "Pod":
            yield from _walk(spec, _POD_SPEC, spec_path)
