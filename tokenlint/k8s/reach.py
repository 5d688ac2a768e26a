"""What each service account's token reaches through the bundle's bindings, and where.

Built once per bundle and linear in its size: every binding subject is indexed once by
the identity it names (one service account, every account of a namespace, every account),
every role's grants are computed once (:class:`~tokenlint.k8s.rbac.Roles`), and an
account's reach is the concatenation of three dictionary lookups, cached per account.
Nothing loops over bindings per workload.

Subjects follow the RBAC authorizer's ``appliesToUser``: a ServiceAccount subject without
a namespace means the binding's own namespace; the User ``system:serviceaccount:NS:NAME``
is that account; the Groups ``system:serviceaccounts:NS``, ``system:serviceaccounts`` and
``system:authenticated`` hold every account of NS, of the cluster, and every
authenticated caller (which includes every account).
"""

from __future__ import annotations

import enum
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import Grant, RoleKey, Roles, RoleView
from tokenlint.k8s.serviceaccounts import AccountKey, TokenMount, token_mount
from tokenlint.k8s.workloads import Workload
from tokenlint.model import Related, Severity
from tokenlint.resources.resource import Resource

SA_USER_PREFIX = "system:serviceaccount:"
SA_GROUP = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
MASTERS = "system:masters"


class Reaches(enum.Enum):
    """Which service accounts a subject stands for."""

    ACCOUNT = "one service account"
    NAMESPACE = "every service account of a namespace"
    ALL_ACCOUNTS = "every service account"
    PUBLIC = "callers without a service account token"
    OTHER = "a user or group outside the cluster's service accounts"


PUBLIC_GROUPS = frozenset({AUTHENTICATED, UNAUTHENTICATED, ANONYMOUS, SA_GROUP})
"""Subjects that grant to everyone who can reach the API server, or to every account."""
PUBLIC_KINDS = ("Group", "User")
"""The subject kinds under which those names are public (system:anonymous is a user)."""


@dataclass(frozen=True)
class Subject:
    """One entry of a binding's ``subjects``, decoded."""

    index: int
    kind: str
    name: str
    reaches: Reaches
    namespace: str | None = None
    """The account's namespace (ACCOUNT), the namespace of the group (NAMESPACE)."""

    def display(self) -> str:
        if self.reaches is Reaches.ACCOUNT and self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def public(self) -> bool:
        return self.kind in PUBLIC_KINDS and self.name in PUBLIC_GROUPS


def subjects(binding: Resource) -> Iterator[Subject]:
    """The subjects of a RoleBinding or ClusterRoleBinding, decoded; malformed ones skipped."""
    entries = binding.body.get("subjects")
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        kind, name = entry.get("kind"), entry.get("name")
        if not isinstance(kind, str) or not isinstance(name, str) or not name:
            continue
        yield _decode(i, kind, name, entry.get("namespace"), binding)


def _decode(i: int, kind: str, name: str, namespace: object, binding: Resource) -> Subject:
    if kind == "ServiceAccount":
        # appliesToUser: an empty subject namespace means the binding's namespace, which a
        # ClusterRoleBinding does not have (the API server requires one there).
        ns = namespace if isinstance(namespace, str) and namespace else binding.namespace
        return Subject(i, kind, name, Reaches.ACCOUNT if ns else Reaches.OTHER, ns)
    if kind == "User" and name.startswith(SA_USER_PREFIX):
        ns, sep, sa = name[len(SA_USER_PREFIX) :].partition(":")
        if sep and ns and sa and ":" not in sa:
            return Subject(i, kind, name, Reaches.ACCOUNT, ns)
    if kind == "Group" and name.startswith(SA_GROUP + ":"):
        return Subject(i, kind, name, Reaches.NAMESPACE, name[len(SA_GROUP) + 1 :])
    if kind == "Group" and name in (SA_GROUP, AUTHENTICATED):
        return Subject(i, kind, name, Reaches.ALL_ACCOUNTS)
    if name in (UNAUTHENTICATED, ANONYMOUS):
        return Subject(i, kind, name, Reaches.PUBLIC)
    return Subject(i, kind, name, Reaches.OTHER)


def account_name(subject: Subject) -> str:
    """The account name of an ACCOUNT subject (ServiceAccount or its User form)."""
    return subject.name if subject.kind == "ServiceAccount" else subject.name.rpartition(":")[2]


@dataclass(frozen=True)
class Binding:
    """One subject of one binding, with the role it is granted and where.

    ``scope`` is the namespace a RoleBinding grants in, None for cluster-wide.
    """

    resource: Resource
    subject: Subject
    role: RoleView
    scope: str | None

    def where(self) -> str:
        return "cluster-wide" if self.scope is None else f"in namespace {self.scope}"


def _related(resource: Resource, path: tuple[str | int, ...], message: str, label: str | None = None) -> Related:
    return Related(message, resource.locate(path), resource.ref, label)


@dataclass(frozen=True)
class Path:
    """A capability a service account reaches: binding -> role -> rule -> grant, in a scope."""

    binding: Binding
    grant: Grant

    @property
    def cluster_wide(self) -> bool:
        return self.binding.scope is None

    @cached_property
    def steps(self) -> tuple[Related, ...]:
        """The path as locations to show: binding, role, the rule that grants the capability.

        Worked out once per path: every workload and every committed token of an account
        that the path serves shows the same steps.
        """
        binding, grant = self.binding, self.grant
        role, rule = binding.role, grant.rule
        res = binding.resource
        text = f"{res.kind} {res.name} binds {role.display()} {binding.where()} to {binding.subject.display()}"
        steps = [_related(res, ("subjects", binding.subject.index), text)]
        if role.resource is not None:
            via = " (aggregated)" if role.aggregated else ""
            steps.append(_related(role.resource, ("metadata", "name"), f"{role.display()}{via}"))
        capability = f"{grant.capability.id} {grant.capability.title}, {binding.where()}"
        if rule.origin is not None:
            where = f"{rule.origin.kind} {rule.origin.name} rules[{rule.index}]"
            text = f"{where} allows {grant.describe()}: {capability}"
            steps.append(_related(rule.origin, ("rules", rule.index), text, label=capability))
        else:
            text = f"built-in {role.display()} allows {grant.describe()}: {capability}"
            steps.append(_related(res, ("roleRef", "name"), text, label=capability))
        return tuple(steps)

    @property
    def severity(self) -> Severity:
        """What a token on this path is worth (TL201's severity, and the paths view's).

        Cluster-wide, every capability is cluster-admin-equivalent (any namespace's secrets
        and tokens, pods as any account, every node), except writing RBAC without bind or
        escalate, which escalation prevention bounds to what the token holds: one step lower.
        """
        if self.grant.bounded:
            return Severity.HIGH if self.cluster_wide else Severity.MEDIUM
        return Severity.CRITICAL if self.cluster_wide else Severity.HIGH

    @property
    def order(self) -> tuple[int, int, int, int, str]:
        """Worst first: cluster-wide, unrestricted by resourceNames, not bounded by escalation
        prevention, cluster-admin-equal role, capability id."""
        return (
            not self.cluster_wide,
            bool(self.grant.names),
            self.grant.bounded,
            not self.binding.role.full_wildcard,
            self.grant.capability.id,
        )


@dataclass(frozen=True)
class AccountReach:
    """Everything a service account's token is granted in the bundle."""

    paths: tuple[Path, ...]
    unknown: tuple[Binding, ...]
    """Bindings of the account whose role is neither in the input nor built in."""

    @cached_property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(sorted({p.grant.capability.id for p in self.paths}))

    def describe(self) -> str:
        """What the account's token is worth, as the end of a sentence about the token."""
        if self.paths:
            count = len(self.capabilities)
            return f"reaches {count} {'capability' if count == 1 else 'capabilities'} ({', '.join(self.capabilities)})"
        if self.unknown:
            roles = ", ".join(sorted({b.role.display() for b in self.unknown}))
            return f"is bound to {roles}, not in the input: what it grants is unknown"
        return "grants nothing in this bundle"

    @property
    def worst(self) -> Path | None:
        """The first path: :meth:`Reach.of_account` sorts them worst first."""
        return self.paths[0] if self.paths else None


class Reach:
    """The bundle's bindings indexed by the service accounts they apply to."""

    def __init__(self, index: BundleIndex) -> None:
        self.index = index
        self.roles = Roles(index)
        self.bindings: list[Binding] = []
        self._by_account: defaultdict[AccountKey, list[Binding]] = defaultdict(list)
        self._by_namespace: defaultdict[str, list[Binding]] = defaultdict(list)
        self._everyone: list[Binding] = []
        self._cache: dict[AccountKey, AccountReach] = {}
        self._by_origin: dict[RoleKey, list[Binding]] | None = None
        self._mounts: dict[int, TokenMount] = {}
        for resource in (*index.role_bindings, *index.cluster_role_bindings):
            self._add(resource)

    def _add(self, resource: Resource) -> None:
        ref = resource.body.get("roleRef")
        kind = ref.get("kind") if isinstance(ref, dict) else None
        name = ref.get("name") if isinstance(ref, dict) else None
        if not isinstance(kind, str) or not isinstance(name, str):
            return
        # A RoleBinding grants inside its own namespace only, even for a ClusterRole.
        scope = resource.namespace if resource.kind == "RoleBinding" else None
        role = self.roles.role(kind, scope, name)
        for subject in subjects(resource):
            binding = Binding(resource, subject, role, scope)
            self.bindings.append(binding)
            if subject.reaches is Reaches.ACCOUNT and subject.namespace:
                self._by_account[(subject.namespace, account_name(subject))].append(binding)
            elif subject.reaches is Reaches.NAMESPACE and subject.namespace:
                self._by_namespace[subject.namespace].append(binding)
            elif subject.reaches is Reaches.ALL_ACCOUNTS:
                self._everyone.append(binding)

    def bindings_of(self, key: AccountKey) -> list[Binding]:
        """Every binding that applies to the account, whatever its subject form."""
        return [*self._by_account.get(key, ()), *self._by_namespace.get(key[0], ()), *self._everyone]

    def mount(self, workload: Workload) -> TokenMount:
        """:func:`token_mount` of the workload, decided once for every rule that asks."""
        key = id(workload.resource)
        found = self._mounts.get(key)
        if found is None:
            found = self._mounts[key] = token_mount(workload, self.index)
        return found

    def of_account(self, key: AccountKey) -> AccountReach:
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compute(key)
        return cached

    def _compute(self, key: AccountKey) -> AccountReach:
        paths: list[Path] = []
        unknown: list[Binding] = []
        for binding in self.bindings_of(key):
            if not binding.role.known:
                unknown.append(binding)
                continue
            # Cluster-scoped resources are never authorized through a RoleBinding.
            paths.extend(Path(binding, g) for g in binding.role.grants if binding.scope is None or not g.cluster_only)
        paths.sort(key=lambda p: p.order)
        return AccountReach(tuple(paths), tuple(unknown))

    def by_object(self) -> dict[int, list[Binding]]:
        """The decoded subjects of each binding object, keyed by object identity, in input order."""
        grouped: dict[int, list[Binding]] = {}
        for binding in self.bindings:
            grouped.setdefault(id(binding.resource), []).append(binding)
        return grouped

    def bindings_of_role(self, role: Resource) -> list[Binding]:
        """Bindings that grant the rules written in ``role``: bindings to the role itself,
        and to every aggregated ClusterRole that takes its rules (one entry per binding
        object, whatever its number of subjects)."""
        if self._by_origin is None:
            self._by_origin = defaultdict(list)
            seen: set[tuple[RoleKey, int]] = set()
            for binding in self.bindings:
                for origin in binding.role.origins:
                    if (origin, id(binding.resource)) not in seen:
                        seen.add((origin, id(binding.resource)))
                        self._by_origin[origin].append(binding)
        return self._by_origin.get((role.kind, role.namespace, role.name), [])

    def accounts(self) -> list[AccountKey]:
        """Accounts the bindings name one by one (group grants apply to every account)."""
        return list(self._by_account)


_REACHES: weakref.WeakKeyDictionary[BundleIndex, Reach] = weakref.WeakKeyDictionary()


def reach_of(index: BundleIndex) -> Reach:
    """The reach of ``index``, built once and shared by every rule that runs over it."""
    reach = _REACHES.get(index)
    if reach is None:
        reach = _REACHES[index] = Reach(index)
    return reach
