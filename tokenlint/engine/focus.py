"""Which workloads a change can affect, so that a pre-commit run judges only those.

A pre-commit run reports the findings that touch the changed files: located in one, or
with a related location (a link of a chain) in one. The workload rules (TL001, TL005,
TL201) are nearly all of a bundle's cross-file work, and a workload's findings only ever
point at what decides them:

- its ServiceAccount, NetworkPolicies and namespaced CNI policies, which Kubernetes only
  applies inside their own namespace (a pod runs as an account of its namespace, and a
  namespaced policy selects pods of its namespace only);
- the bindings that grant its account something, with their roles and the ClusterRoles
  aggregated into them: a RoleBinding can name an account of *another* namespace as its
  subject, so a changed Role or RoleBinding reaches the namespaces of its bindings'
  subjects, and a cluster-scoped ClusterRole or ClusterRoleBinding only those;
- cluster-wide CNI policies, which can select any pod.

So the workloads to judge are those in a changed file, plus those of every namespace that
a changed object lives in or grants to. Each is judged against the whole bundle, exactly
as in a full run, so its findings are the full run's; workloads outside that set would
only produce findings the scope then drops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tokenlint.k8s.index import CNI_POLICY_KINDS, BundleIndex
from tokenlint.k8s.rbac import RoleKey
from tokenlint.k8s.reach import Reaches, reach_of
from tokenlint.resources.resource import Resource

Changed = Callable[[Resource], bool]


def focus(index: BundleIndex, resources: Iterable[Resource], changed: Changed) -> None:
    """Narrow ``index`` to the workloads the changed resources among ``resources`` can affect."""
    namespaces = affected_namespaces(index, [r for r in resources if changed(r)], changed)
    if namespaces is not None:
        index.focus(lambda resource: resource.namespace in namespaces or changed(resource))


def affected_namespaces(index: BundleIndex, changed: list[Resource], is_changed: Changed) -> set[str | None] | None:
    """The namespaces whose workloads ``changed`` can affect; None when it can affect any."""
    namespaces: set[str | None] = set()
    roles: set[RoleKey] = set()
    for resource in changed:
        kind = resource.kind
        if kind == "Namespace":
            namespaces.add(resource.name)
        elif resource.namespace is not None:
            namespaces.add(resource.namespace)
        elif kind in CNI_POLICY_KINDS:
            return None  # a cluster-wide policy selects pods of every namespace
        if kind in ("Role", "ClusterRole"):
            roles.add((kind, resource.namespace, resource.name))
    if not roles and not any(r.kind in ("RoleBinding", "ClusterRoleBinding") for r in changed):
        return namespaces
    for binding in reach_of(index).bindings:
        role = binding.role
        if not (is_changed(binding.resource) or role.key in roles or not roles.isdisjoint(role.origins)):
            continue
        subject = binding.subject
        if subject.reaches is Reaches.ALL_ACCOUNTS:
            return None
        if subject.reaches in (Reaches.ACCOUNT, Reaches.NAMESPACE):
            namespaces.add(subject.namespace)
    return namespaces
