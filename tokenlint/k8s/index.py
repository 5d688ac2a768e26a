"""The read-only index of a bundle: everything cross-file rules look up, built once.

Only the resources that some cross-file question needs are kept (workloads, service
accounts, RBAC objects, network policies, namespaces, token Secrets, and any resource
with a credential in its values, whose reach depends on the bundle's RBAC). Everything else is
checked by per-resource rules as it streams past and then dropped, which is what keeps
a 50,000-document run within a few hundred megabytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from tokenlint.k8s.workloads import Workload, workload_of
from tokenlint.resources.resource import Resource

SA_TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"

CNI_POLICY_KINDS = frozenset(
    {
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy",
        "GlobalNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
    }
)
"""Policy kinds enforced by a CNI besides the core NetworkPolicy. Calico's namespaced
``NetworkPolicy`` shares its kind name with the core one and is told apart by apiVersion."""

_INDEXED_KINDS = frozenset(
    {"ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "Namespace"}
    | CNI_POLICY_KINDS
)

Key = tuple[str | None, str]


def is_calico_policy(resource: Resource) -> bool:
    """Calico's ``projectcalico.org`` NetworkPolicy, not the core ``networking.k8s.io`` one."""
    return resource.kind == "NetworkPolicy" and resource.ref.api_version.startswith(
        ("projectcalico.org/", "crd.projectcalico.org/")
    )


class BundleIndex:
    """Lookups by namespace and name over one run's resources."""

    def __init__(self) -> None:
        self.workloads: list[Workload] = []
        self.service_accounts: dict[Key, Resource] = {}
        self.roles: dict[Key, Resource] = {}
        self.cluster_roles: dict[str, Resource] = {}
        self.role_bindings: list[Resource] = []
        self.cluster_role_bindings: list[Resource] = []
        self.network_policies: defaultdict[str | None, list[Resource]] = defaultdict(list)
        self.cni_policies: defaultdict[str | None, list[Resource]] = defaultdict(list)
        self.namespaces: dict[str, Resource] = {}
        self.token_secrets: list[Resource] = []
        self.duplicates: list[tuple[Resource, Resource]] = []
        """(earlier, later) documents with one kind, namespace and name; the later wins."""
        self._identities: dict[tuple[str, str | None, str], Resource] = {}
        self.written_roles: list[Resource] = []
        """Every Role and ClusterRole object in input order, copies of one identity included:
        a rule about what a role's text says judges each copy (the lookups keep the last)."""
        self.credential_carriers: list[Resource] = []
        """Resources with credentials in their values (:mod:`tokenlint.k8s.credentials`)."""

    @classmethod
    def build(cls, resources: Iterable[Resource]) -> BundleIndex:
        index = cls()
        for resource in resources:
            index.add(resource)
        return index

    @staticmethod
    def wants(resource: Resource) -> bool:
        """Whether some lookup of a cross-file question needs ``resource``; workloads,
        which no rule looks up but every cross-file rule walks, are kept too."""
        kind = resource.kind
        if kind in _INDEXED_KINDS or resource.credentials:
            return True
        if kind == "Secret":
            return resource.body.get("type") == SA_TOKEN_SECRET_TYPE
        return workload_of(resource) is not None

    def add(self, resource: Resource) -> None:
        """Index ``resource`` under every lookup it serves.

        When two inputs define the same object the last one wins, as with ``kubectl apply``,
        and the pair is recorded in ``duplicates`` (TL010).
        Only kinds that serve no lookup can make pods (the workload kinds, and custom
        resources shaped like them), so the others are never asked for a pod spec and a
        cached body is not rebuilt for that.
        """
        kind = resource.kind
        if resource.credentials:
            self.credential_carriers.append(resource)
        if kind == "Secret":
            if resource.body.get("type") == SA_TOKEN_SECRET_TYPE:
                self._claim(resource)
                self.token_secrets.append(resource)
            return
        if kind not in _INDEXED_KINDS:
            workload = workload_of(resource)
            if workload is not None:
                self._claim(resource)
                self.workloads.append(workload)
            return
        self._claim(resource)
        key = (resource.namespace, resource.name)
        if kind == "ServiceAccount":
            self.service_accounts[key] = resource
        elif kind == "Role":
            self.roles[key] = resource
            self.written_roles.append(resource)
        elif kind == "ClusterRole":
            self.cluster_roles[resource.name] = resource
            self.written_roles.append(resource)
        elif kind == "RoleBinding":
            self.role_bindings.append(resource)
        elif kind == "ClusterRoleBinding":
            self.cluster_role_bindings.append(resource)
        elif kind == "Namespace":
            self.namespaces[resource.name] = resource
        elif kind in CNI_POLICY_KINDS or is_calico_policy(resource):
            self.cni_policies[resource.namespace].append(resource)
        else:
            self.network_policies[resource.namespace].append(resource)

    def _claim(self, resource: Resource) -> None:
        """Record ``resource``'s identity; a second document with it is a duplicate."""
        identity = (resource.kind, resource.namespace, resource.name)
        earlier = self._identities.get(identity)
        if earlier is not None and earlier is not resource:
            self.duplicates.append((earlier, resource))
        self._identities[identity] = resource

    def focus(self, keep: Callable[[Resource], bool]) -> None:
        """Leave only the workloads whose resource ``keep`` accepts as subjects of the rules.

        Workloads are the one collection that rules walk as subjects and never look
        anything up in, and the bulk of a bundle. Every lookup keeps the whole bundle, so
        a workload that stays is judged exactly as without the focus.
        """
        self.workloads = [w for w in self.workloads if keep(w.resource)]

    def service_account(self, namespace: str | None, name: str) -> Resource | None:
        return self.service_accounts.get((namespace, name))
