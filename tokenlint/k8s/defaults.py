"""Objects Kubernetes creates and reconciles itself: in a cluster dump, not the reader's to fix.

A dump (``kubectl get ... -A -o yaml``) holds the bootstrap policy next to the
applications' objects. Kubernetes' own objects carry the label
``kubernetes.io/bootstrapping: rbac-defaults`` or the annotation
``rbac.authorization.kubernetes.io/autoupdate: "true"`` (the API server puts back what
they said at every start: ``reconcile`` in ``pkg/registry/rbac/rest/storage_rbac.go``), or
are the control-plane identities of ``kube-system`` that the bootstrap bindings name, or
the mirror pods of static pods (the kubelet's copies of the control plane's manifests).
Findings on them are left out (or shown at info), but what they grant still counts: a
user's account bound to one of those roles reaches its capabilities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tokenlint.admission import cel_has_key, cel_list, cel_string
from tokenlint.k8s.bootstrap import KUBE_SYSTEM, control_plane_accounts
from tokenlint.k8s.serviceaccounts import account_of
from tokenlint.k8s.workloads import workload_of
from tokenlint.model import Finding, ResourceRef, Severity
from tokenlint.resources.resource import Resource

BOOTSTRAPPING_LABEL = "kubernetes.io/bootstrapping"
BOOTSTRAPPING_VALUE = "rbac-defaults"
AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
"""The kubelet's mark on the API copy of a static pod (``pkg/kubelet/types/pod_update.go``):
the control plane's own pods, which the kubelet never gives a service account token."""


def is_kubernetes_own(resource: Resource, account: tuple[str, str] | None = None) -> bool:
    """Whether Kubernetes creates and reconciles ``resource`` itself, so no user fixes it.

    ``account`` is the service account a workload runs as: a pod of ``kube-system`` running
    as a control-plane identity is the control plane's.
    """
    if resource.labels.get(BOOTSTRAPPING_LABEL) == BOOTSTRAPPING_VALUE:
        return True
    if resource.annotations.get(AUTOUPDATE_ANNOTATION) in ("true", True):
        return True
    if resource.kind == "Pod" and MIRROR_ANNOTATION in resource.annotations:
        return True
    if resource.namespace != KUBE_SYSTEM:
        return False
    if resource.kind == "ServiceAccount":
        return (KUBE_SYSTEM, resource.name) in control_plane_accounts()
    if resource.kind == "Secret":
        # Before 1.24 the token controller created a token Secret for every account; those
        # of the control-plane accounts are Kubernetes' own.
        named = resource.annotations.get(SA_NAME_ANNOTATION)
        return isinstance(named, str) and (KUBE_SYSTEM, named) in control_plane_accounts()
    return account is not None and account in control_plane_accounts()


def not_own_cel() -> str:
    """CEL: the object does not carry the marks of Kubernetes' own objects (as
    :func:`is_kubernetes_own` decides; see :func:`control_plane_cel` for the accounts).

    An admission policy must leave these objects alone: the API server reconciles the
    bootstrap policy at every start, and denying that would break it.
    """
    labels, annotations = "object.metadata.labels", "object.metadata.annotations"
    own = [
        f"{cel_has_key(labels, BOOTSTRAPPING_LABEL)} && {labels}[{cel_string(BOOTSTRAPPING_LABEL)}] == "
        f"{cel_string(BOOTSTRAPPING_VALUE)}",
        f"{cel_has_key(annotations, AUTOUPDATE_ANNOTATION)} && "
        f"{annotations}[{cel_string(AUTOUPDATE_ANNOTATION)}] == 'true'",
        f"object.kind == 'Pod' && {cel_has_key(annotations, MIRROR_ANNOTATION)}",
    ]
    return "!(" + " || ".join(f"({e})" for e in own) + ")"


def control_plane_cel(account: str) -> str:
    """CEL: a ``kube-system`` object whose service account (CEL ``account``: the pods'
    account, or a ServiceAccount's name) is a control-plane identity."""
    names = cel_list(sorted(name for _, name in control_plane_accounts()))
    namespace = "has(object.metadata.namespace) && object.metadata.namespace"
    return f"{namespace} == {cel_string(KUBE_SYSTEM)} && {account} in {names}"


def own_refs(resources: Iterable[Resource]) -> frozenset[ResourceRef]:
    """The identities of the objects of ``resources`` that Kubernetes owns."""
    found: set[ResourceRef] = set()
    for resource in resources:
        workload = workload_of(resource) if resource.namespace == KUBE_SYSTEM else None
        if is_kubernetes_own(resource, account_of(workload) if workload is not None else None):
            found.add(resource.ref)
    return frozenset(found)


def derived_refs(resources: Iterable[Resource]) -> frozenset[ResourceRef]:
    """Workloads whose controller is in the input too: a dump's pods of a ReplicaSet of a
    Deployment. Their pod spec is the controller's template, so every finding on them is
    the controller's finding again; the controller is where the reader fixes it."""
    workloads = [r for r in resources if workload_of(r) is not None]
    present = {(r.namespace, r.kind, r.name) for r in workloads}
    found: set[ResourceRef] = set()
    for resource in workloads:
        owners = resource.metadata.get("ownerReferences")
        for owner in owners if isinstance(owners, list) else ():
            if (
                isinstance(owner, dict)
                and owner.get("controller") is True
                and (resource.namespace, owner.get("kind"), owner.get("name")) in present
            ):
                found.add(resource.ref)
    return frozenset(found)


OWN_NOTE = "Kubernetes' own object, created and reconciled by the API server"


def quiet(findings: Iterable[Finding], resources: list[Resource], include: bool) -> list[Finding]:
    """The findings a reader of a dump acts on.

    Findings on Kubernetes' own objects are dropped, or with ``include`` kept at info and
    said so: what those objects grant still counts everywhere else (a user's account
    bound to a bootstrap role reaches its capabilities), only findings *on* them are not
    the reader's. Findings on objects a controller of the input made are dropped: the
    controller has the same finding.
    """
    own, derived = own_refs(resources), derived_refs(resources)
    if not own and not derived:
        return list(findings)
    kept: list[Finding] = []
    for finding in findings:
        if finding.resource in derived:
            continue
        if finding.resource not in own:
            kept.append(finding)
        elif include:
            kept.append(replace(finding, severity=Severity.INFO, message=f"{finding.message} [{OWN_NOTE}]"))
    return kept
