"""Turn parsed documents into Kubernetes resources that can say where their fields are.

A resource keeps the parsed body (plain data with positions) and an :class:`Origin` that
turns a position into a :class:`~tokenlint.model.Location` the user can open. Plain files
map positions one to one; rendered Helm charts map them back into template files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from tokenlint.model import Credential, FieldPath, Location, ResourceRef
from tokenlint.yaml.reader import Document, DuplicateKey, Pos, YMap, YSeq

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "CiliumClusterwideNetworkPolicy",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "GlobalNetworkPolicy",
        "GlobalNetworkSet",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Kinds that live outside namespaces (``kubectl api-resources --namespaced=false``)."""


class Origin(Protocol):
    """Where a resource came from; turns a node position into a user-facing location."""

    @property
    def path(self) -> str: ...

    def location(self, pos: Pos, key: str | None, field_path: FieldPath, exact: bool) -> Location: ...


def shaped_by(origin: Origin) -> tuple[str, ...]:
    """Every file whose change can change the resources of ``origin``: its own file, and
    for a rendered kustomize root every file the root reads (bases, patches, components),
    so that a pre-commit run re-judges every overlay that includes a changed file."""
    return (origin.path, *getattr(origin, "sources", ()))


@dataclass(frozen=True)
class FileOrigin:
    """A resource read from a plain file: positions are already file positions."""

    path: str

    def location(self, pos: Pos, key: str | None, field_path: FieldPath, exact: bool) -> Location:
        line, column = pos
        width = len(key) if key else 1
        note = None if exact else "field not present; showing its closest parent"
        return Location(self.path, line, column, line, column + width, note=note)


@dataclass(frozen=True)
class Stream:
    """YAML bytes to lint and where they came from.

    ``bundle`` names the rendered chart scenario the stream belongs to (None for plain
    files), ``scenario`` the values scenario reported in findings, and ``namespace`` the
    release namespace of a chart (None: the run's namespace).
    """

    origin: Origin
    data: bytes
    scenario: str | None = None
    bundle: str | None = None
    namespace: str | None = None


@dataclass(eq=False)
class Resource:
    """One Kubernetes object with its identity, body and origin."""

    ref: ResourceRef
    body: YMap
    origin: Origin
    duplicates: list[DuplicateKey] = field(default_factory=list)
    scenario: str | None = None
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Facts computed from the body once, by the module that knows how (locations here,
    the pod spec path in :mod:`tokenlint.k8s.workloads`): the shape check, the rules,
    suppressions and the index all ask again, and the answer cannot change."""
    credentials: tuple[Credential, ...] = ()
    """Credentials found in the body's values (:mod:`tokenlint.k8s.credentials`), whose
    secrets the body no longer holds."""

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def namespace(self) -> str | None:
        return self.ref.namespace

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.body.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def annotations(self) -> dict[str, Any]:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    def get(self, path: FieldPath) -> Any:
        """The value at ``path``, or None when any step is missing or of the wrong type."""
        node: Any = self.body
        for step in path:
            if isinstance(step, str) and isinstance(node, dict):
                node = node.get(step)
            elif isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
                node = node[step]
            else:
                return None
        return node

    def locate(self, path: FieldPath) -> Location:
        """Location of the deepest existing node on ``path`` (remembered per path: chains
        point at the same ServiceAccount, binding and role from many workloads)."""
        cache: dict[FieldPath, Location] = self.derived.setdefault("locations", {})
        found = cache.get(path)
        if found is None:
            found = cache[path] = self._locate(path)
        return found

    def _locate(self, path: FieldPath) -> Location:
        """Location of the deepest existing node on ``path``.

        The empty path points at the document's ``kind:`` key, the line a reader scans
        for. A path that does not exist resolves to its closest existing parent, and the
        location says so.
        """
        node: Any = self.body
        if "kind" in self.body.keypos:
            pos: Pos = self.body.keypos["kind"]
            key: str | None = "kind"
        else:
            pos, key = (self.body.line, self.body.column), None
        for depth, step in enumerate(path):
            if isinstance(node, YMap) and isinstance(step, str) and step in node:
                pos, key = node.keypos[step], step
                node = node[step]
            elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
                pos = node.itempos[step]
                item = node[step]
                key = item if isinstance(item, str) else None
                node = item
            else:
                return self.origin.location(pos, key, path[:depth], exact=False)
        return self.origin.location(pos, key, path, exact=True)


def _text(value: Any) -> str:
    """Identity fields are strings in Kubernetes; anything else is kept as its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def is_list_kind(body: YMap) -> bool:
    """``kind: List`` and typed lists (``ConfigMapList``...) wrap their objects in ``items``."""
    kind = body.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(body.get("items"), list)


KUBECONFIG_KIND = "Config"


def is_kubeconfig(body: YMap) -> bool:
    """A kubeconfig file (``kind: Config``, ``apiVersion: v1``), read like any other input."""
    return body.get("kind") == KUBECONFIG_KIND and body.get("apiVersion") == "v1"


def make_resource(body: YMap, origin: Origin, default_namespace: str, scenario: str | None = None) -> Resource:
    """Build the resource identity as the API server would see it.

    Namespace is ``metadata.namespace``, else the namespace given on the command line
    (Helm's release namespace), else ``default``; cluster-scoped kinds have none. A
    kubeconfig is no API object: it has no namespace and is named by its current context.
    """
    kind = _text(body.get("kind"))
    meta = body.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if is_kubeconfig(body):
        name = _text(body.get("current-context")) or _text(meta.get("name")) or "kubeconfig"
        return Resource(ResourceRef("v1", kind, None, name), body, origin, scenario=scenario)
    namespace: str | None
    namespace = None if kind in CLUSTER_SCOPED_KINDS else _text(meta.get("namespace")) or default_namespace
    name = _text(meta.get("name")) or _text(meta.get("generateName"))
    ref = ResourceRef(_text(body.get("apiVersion")), kind, namespace, name)
    return Resource(ref, body, origin, scenario=scenario)


def is_object(data: Any) -> bool:
    """A Kubernetes object names its apiVersion and kind; other documents are skipped."""
    return isinstance(data, YMap) and bool(data.get("apiVersion")) and bool(data.get("kind"))


def resources_of(
    doc: Document, origin: Origin, default_namespace: str, scenario: str | None = None
) -> Iterator[Resource]:
    """The resources of one document: the object itself, or each item of a List."""
    data = doc.data
    if not is_object(data):
        return
    if is_list_kind(data):
        for i, item in enumerate(data["items"]):
            if is_object(item):
                resource = make_resource(item, origin, default_namespace, scenario)
                # Duplicate keys inside an item belong to that item, with paths from its root.
                prefix = ("items", i)
                resource.duplicates = [
                    replace(d, path=d.path[2:]) for d in doc.duplicates if d.path[:2] == prefix and len(d.path) > 2
                ]
                yield resource
        return
    resource = make_resource(data, origin, default_namespace, scenario)
    resource.duplicates = doc.duplicates
    yield resource
