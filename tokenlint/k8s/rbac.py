"""What an RBAC role allows, in terms of the capabilities that make a token dangerous.

Matching follows the RBAC authorizer (``pkg/apis/rbac/v1/evaluation_helpers.go``): a
request is allowed by ONE policy rule whose verbs, API groups, resources and (if set)
resource names all cover it; verbs of one rule never combine with resources of another.
``*`` alone matches everything, ``*/<sub>`` matches that subresource of every resource,
and any other ``*`` (``pods/*``) is literal and matches no request (Kubernetes declined
``resource/*`` on purpose: kubernetes/kubernetes#78936). Roles are resolved the way the
API server does it: a roleRef names a Role in the binding's namespace or a ClusterRole;
an aggregated ClusterRole holds the rules of every ClusterRole its selectors match; every
role of Kubernetes' bootstrap policy (:mod:`tokenlint.k8s.bootstrap`) is known by name, with
the aggregation that builds ``admin``, ``edit`` and ``view``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tokenlint.k8s import bootstrap
from tokenlint.k8s.bootstrap import BuiltinRole
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.labels import Selector, parse_selector
from tokenlint.k8s.policy import ALL, read_only_url, strings, written_rules
from tokenlint.resources.resource import Resource

RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTER_ADMIN = "cluster-admin"

_NAMELESS_VERBS = frozenset({"create", "deletecollection"})
"""Verbs whose request on a collection carries no object name, so ``resourceNames``
cannot allow them (Kubernetes RBAC docs: "Referring to resources")."""

_UNBOUNDING_VERBS = frozenset({"bind", "escalate"})
"""The verbs that lift RBAC's escalation prevention for roles and bindings."""

_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class Need:
    """Requests that give a capability: any of ``verbs`` on any of ``resources`` in a group.

    ``verbs`` None means any verb. ``cluster_only`` marks cluster-scoped resources
    (nodes, users, CSRs, webhook configurations, ClusterRoles...): a RoleBinding only
    authorizes requests inside its namespace, so it never grants these.
    """

    group: str
    resources: tuple[str, ...]
    verbs: frozenset[str] | None
    cluster_only: bool = False


@dataclass(frozen=True)
class Capability:
    """One TL1xx capability: a rule id, what it lets a token holder do, and the requests."""

    id: str
    title: str
    needs: tuple[Need, ...]


def _need(group: str, resources: str, verbs: str | None, cluster_only: bool = False) -> Need:
    return Need(group, tuple(resources.split()), frozenset(verbs.split()) if verbs else None, cluster_only)


SECRETS_READ = Capability("TL101", "read secrets", (_need("", "secrets", "get list watch"),))
WORKLOAD_CREATE = Capability(
    "TL102",
    "create pods",
    (
        _need("", "pods replicationcontrollers", "create"),
        _need("apps", "deployments daemonsets statefulsets replicasets", "create"),
        _need("batch", "jobs cronjobs", "create"),
        # Clusters before 1.16 also served these workloads in extensions/v1beta1, and dumps
        # of them (or roles written for them) still name the group.
        _need("extensions", "deployments daemonsets replicasets", "create"),
    ),
)
POD_EXEC = Capability(
    "TL103",
    "run commands in pods",
    (
        # kubectl exec/attach/port-forward open a WebSocket with GET, which the API server
        # authorizes as "get" on the subresource, so get is as good as create here.
        _need("", "pods/exec pods/attach pods/portforward", "create get"),
        _need("", "pods/ephemeralcontainers", "patch update"),
    ),
)
BINDING_ESCALATION = Capability(
    "TL104",
    "grant itself more permissions",
    (
        _need(RBAC_GROUP, "rolebindings roles", "create update patch bind escalate"),
        _need(RBAC_GROUP, "clusterrolebindings clusterroles", "create update patch bind escalate", cluster_only=True),
    ),
)
IMPERSONATE = Capability(
    "TL105",
    "impersonate other identities",
    (
        # Impersonating a service account is a namespaced request; users, groups and uids
        # are cluster-wide names.
        _need("", "serviceaccounts", "impersonate"),
        _need("", "users groups", "impersonate", cluster_only=True),
        _need("authentication.k8s.io", "uids userextras/scopes", "impersonate", cluster_only=True),
    ),
)
TOKEN_REQUEST = Capability("TL106", "mint tokens for service accounts", (_need("", "serviceaccounts/token", "create"),))
NODES_PROXY = Capability(
    "TL107",
    "reach the kubelet API through nodes/proxy",
    # The kubelet authorizes a proxied request with the verb of its HTTP method (POST
    # create, GET get, PUT update, PATCH patch, DELETE delete: GetRequestAttributes in
    # pkg/kubelet/server/auth.go), and the API server's nodes/NAME/proxy path is a named
    # request, never list, watch or deletecollection.
    (_need("", "nodes/proxy", "create delete get patch update", cluster_only=True),),
)
SECRET_TOKEN_MINT = Capability(
    "TL112",
    "mint non-expiring tokens through service-account-token Secrets",
    # The token controller (pkg/controller/serviceaccount/tokens_controller.go) fills any
    # Secret of type kubernetes.io/service-account-token whose annotation names an
    # existing account of its namespace with a token of that account, without expiry.
    (_need("", "secrets", "create"),),
)
CSR_APPROVAL = Capability(
    "TL108",
    "approve certificate signing requests",
    (
        _need("certificates.k8s.io", "certificatesigningrequests/approval", "update patch", cluster_only=True),
        _need("certificates.k8s.io", "signers", "approve", cluster_only=True),
    ),
)
WEBHOOK_CONFIG = Capability(
    "TL109",
    "install admission webhooks",
    (
        _need(
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations validatingwebhookconfigurations",
            " ".join(sorted(_WRITE_VERBS)),
            cluster_only=True,
        ),
    ),
)
CAPABILITIES = (
    SECRETS_READ,
    WORKLOAD_CREATE,
    POD_EXEC,
    BINDING_ESCALATION,
    IMPERSONATE,
    TOKEN_REQUEST,
    NODES_PROXY,
    CSR_APPROVAL,
    WEBHOOK_CONFIG,
    SECRET_TOKEN_MINT,
)


@dataclass(frozen=True)
class PolicyRule:
    """One rule of a role, with where it is written: ``origin.rules[index]``.

    ``origin`` is None for the rules of a built-in role that the input does not define.
    """

    groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    names: tuple[str, ...]
    origin: Resource | None
    index: int
    urls: frozenset[str] = frozenset()
    """``nonResourceURLs``."""

    @property
    def is_full_wildcard(self) -> bool:
        """``*`` verbs on ``*`` resources in ``*`` groups, unrestricted: cluster-admin's rule."""
        return ALL in self.groups and ALL in self.resources and ALL in self.verbs and not self.names


def _written(role: Resource) -> tuple[PolicyRule, ...]:
    """The rules written in ``role`` (none for an aggregated ClusterRole, see policy)."""
    return tuple(
        PolicyRule(
            frozenset(strings(rule, "apiGroups")),
            frozenset(strings(rule, "resources")),
            frozenset(strings(rule, "verbs")),
            tuple(strings(rule, "resourceNames")),
            role,
            i,
            frozenset(strings(rule, "nonResourceURLs")),
        )
        for i, rule in written_rules(role)
    )


def resource_matches(entries: Iterable[str], resource: str) -> bool:
    """Whether one rule's ``resources`` cover ``resource`` (``pods`` or ``pods/exec``)."""
    _, slash, sub = resource.partition("/")
    for entry in entries:
        if entry in (ALL, resource):
            return True
        if slash and entry == f"*/{sub}":
            return True
    return False


@dataclass(frozen=True)
class Grant:
    """A capability that one policy rule grants, and exactly which requests it allows.

    ``names`` is the rule's ``resourceNames``: when set the grant only covers those
    objects, which is weaker and said so in messages.
    """

    capability: Capability
    rule: PolicyRule
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    cluster_only: bool

    @property
    def names(self) -> tuple[str, ...]:
        return self.rule.names

    @property
    def bounded(self) -> bool:
        """Writing roles or bindings without ``bind`` or ``escalate``.

        RBAC's escalation prevention lets such a holder create or update a role only with
        permissions it already holds, and bind a role only when it holds every permission
        of it (``ConfirmNoEscalation`` in pkg/registry/rbac/validation/rule.go,
        ``EscalationAllowed`` and ``BindingAuthorized`` in pkg/registry/rbac/escalation_check.go):
        it can hand its permissions to other subjects, not gain new ones.
        """
        return self.capability is BINDING_ESCALATION and not _UNBOUNDING_VERBS & set(self.verbs)

    def describe(self) -> str:
        """``create, get on pods/exec`` plus the resourceNames restriction, if any."""
        text = f"{', '.join(self.verbs)} on {', '.join(self.resources)}"
        if self.names:
            text += f" (only resourceNames {', '.join(self.names)})"
        return text


def allows(rule: PolicyRule, verb: str, group: str, resource: str) -> bool:
    """Whether ``rule`` allows ``verb`` on ``resource`` (``pods/exec``) of ``group`` for some
    object: ``RuleAllows`` of the RBAC authorizer. A rule limited by ``resourceNames``
    allows it only for those names, and never a request that names no object."""
    if not (ALL in rule.verbs or verb in rule.verbs):
        return False
    if not (ALL in rule.groups or group in rule.groups):
        return False
    if rule.names and verb in _NAMELESS_VERBS:
        return False
    return resource_matches(rule.resources, resource)


def grants(rule: PolicyRule) -> tuple[Grant, ...]:
    """Every capability ``rule`` grants, each from this one rule's verbs and resources.

    A capability whose requests are partly cluster-scoped yields one grant per part, so
    that a RoleBinding can keep the namespaced part and drop the other.
    """
    found = []
    for capability in CAPABILITIES:
        parts: dict[bool, tuple[list[str], set[str]]] = {}
        for need in capability.needs:
            if ALL not in rule.groups and need.group not in rule.groups:
                continue
            verbs = _verbs(rule, need)
            for resource in need.resources:
                allowed = verbs if "/" in resource else _named_verbs(rule, verbs)
                if allowed and resource_matches(rule.resources, resource):
                    resources, matched = parts.setdefault(need.cluster_only, ([], set()))
                    resources.append(resource)
                    matched |= allowed
        for cluster_only, (resources, matched) in sorted(parts.items()):
            found.append(Grant(capability, rule, tuple(resources), tuple(sorted(matched)), cluster_only))
    return tuple(found)


def _verbs(rule: PolicyRule, need: Need) -> set[str]:
    if need.verbs is None:
        return {ALL} if ALL in rule.verbs else set(rule.verbs)
    return set(need.verbs) if ALL in rule.verbs else set(need.verbs & rule.verbs)


def _named_verbs(rule: PolicyRule, verbs: set[str]) -> set[str]:
    """A rule limited to resourceNames cannot allow create/deletecollection on a collection:
    those requests name no object when they are authorized."""
    return verbs - _NAMELESS_VERBS if rule.names else verbs


SELF_REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})
"""Resources that only tell callers about themselves (what they may do, who they are)."""


def discovery_only(role: RoleView) -> bool:
    """Whether ``role`` allows nothing but non-resource URLs and reviews of the caller's own
    access, like Kubernetes' system:discovery, system:basic-user and system:public-info-viewer."""
    return all(
        rule.resources <= SELF_REVIEWS
        and ALL not in rule.groups
        and (not rule.urls or (rule.verbs <= {"get"} and all(read_only_url(u) for u in rule.urls)))
        for rule in role.rules
    )


def writes_objects(role: RoleView) -> bool:
    """Whether ``role`` allows any write verb on any resource (other than self reviews)."""
    return any(
        (rule.verbs & _WRITE_VERBS or ALL in rule.verbs) and not rule.resources <= SELF_REVIEWS for rule in role.rules
    )


def _builtin_rules(role: BuiltinRole) -> tuple[PolicyRule, ...]:
    """The rules of a bootstrap-policy role, without a place in the input to point at."""
    return tuple(
        PolicyRule(
            frozenset(rule.get("apiGroups", ())),
            frozenset(rule.get("resources", ())),
            frozenset(rule.get("verbs", ())),
            tuple(rule.get("resourceNames", ())),
            None,
            i,
            frozenset(rule.get("nonResourceURLs", ())),
        )
        for i, rule in enumerate(role.rules)
    )


RoleKey = tuple[str, str | None, str]
"""(kind, namespace, name); namespace None for ClusterRoles."""


@dataclass(frozen=True)
class RoleView:
    """A role as a binding sees it: its effective rules, or unknown.

    ``resource`` is the object in the input (None for a built-in role the input does not
    define, and for an unknown role); ``aggregated`` is True when the rules come from
    other ClusterRoles through ``aggregationRule``.
    """

    kind: str
    namespace: str | None
    name: str
    resource: Resource | None
    rules: tuple[PolicyRule, ...] = ()
    builtin: bool = False
    aggregated: bool = False
    grants: tuple[Grant, ...] = field(default=(), compare=False)

    @property
    def key(self) -> RoleKey:
        return (self.kind, self.namespace, self.name)

    @property
    def known(self) -> bool:
        return self.resource is not None or self.builtin

    @cached_property
    def origins(self) -> frozenset[RoleKey]:
        """The roles of the input whose written rules this role holds."""
        return frozenset((r.origin.kind, r.origin.namespace, r.origin.name) for r in self.rules if r.origin is not None)

    @cached_property
    def full_wildcard(self) -> bool:
        """Whether the role holds cluster-admin's rule (everything, everywhere it is bound)."""
        return any(rule.is_full_wildcard for rule in self.rules)

    def display(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        note = " (built-in)" if self.builtin and self.resource is None else ""
        return f"{self.kind} {where}{self.name}{note}"


class Roles:
    """Resolves roleRefs of one bundle and caches every role's rules and grants.

    Each role is computed once however many bindings name it; aggregation is resolved
    lazily, and only for ClusterRoles that some binding or caller asks for.
    """

    def __init__(self, index: BundleIndex) -> None:
        self._index = index
        self._cache: dict[RoleKey, RoleView] = {}
        self._resolving: set[str] = set()

    def role(self, kind: str, namespace: str | None, name: str) -> RoleView:
        """The role a roleRef of a binding in ``namespace`` names.

        A roleRef of kind Role always means a Role in the binding's own namespace; a
        ClusterRoleBinding can only name ClusterRoles (the API server rejects anything else).
        """
        key: RoleKey = (kind, namespace if kind == "Role" else None, name)
        view = self._cache.get(key)
        if view is None:
            view = self._resolve(*key)
            self._cache[key] = view
        return view

    def of(self, resource: Resource) -> RoleView:
        """The view of a Role or ClusterRole object of the input; a document shadowed by a
        later one with the same identity gets a view of its own rules (never cached:
        lookups see the later one)."""
        view = self.role(resource.kind, resource.namespace, resource.name)
        if view.resource is None or view.resource is resource:
            return view
        return self._view(resource.kind, resource.namespace, resource.name, resource, _written(resource))

    def _resolve(self, kind: str, namespace: str | None, name: str) -> RoleView:
        if kind == "Role":
            role = self._index.roles.get((namespace, name)) if namespace else None
            if role is not None:
                return self._view(kind, namespace, name, role, _written(role))
            known = bootstrap.role(namespace, name) if namespace else None
            if known is None:
                return RoleView(kind, namespace, name, None)
            return self._view(kind, namespace, name, None, _builtin_rules(known), builtin=True)
        if kind != "ClusterRole":
            return RoleView(kind, namespace, name, None)
        role = self._index.cluster_roles.get(name)
        if role is not None and role.body.get("aggregationRule") is not None:
            return self._view(kind, None, name, role, self._aggregate(name, role), aggregated=True)
        if role is not None:
            return self._view(kind, None, name, role, _written(role))
        known = bootstrap.cluster_role(name)
        if known is None:
            return RoleView(kind, None, name, None)
        if known.selectors is not None:
            rules = self._aggregated_into(name, tuple(parse_selector(s) for s in known.selectors))
            return self._view(kind, None, name, None, rules, builtin=True, aggregated=True)
        return self._view(kind, None, name, None, _builtin_rules(known), builtin=True)

    @staticmethod
    def _view(
        kind: str,
        namespace: str | None,
        name: str,
        resource: Resource | None,
        rules: tuple[PolicyRule, ...],
        builtin: bool = False,
        aggregated: bool = False,
    ) -> RoleView:
        role_grants = tuple(g for rule in rules for g in grants(rule))
        return RoleView(kind, namespace, name, resource, rules, builtin, aggregated, role_grants)

    def _aggregate(self, name: str, role: Resource) -> tuple[PolicyRule, ...]:
        """The rules the aggregation controller writes into ``role``.

        It replaces the role's own ``rules`` with those of every ClusterRole that one of
        its ``clusterRoleSelectors`` matches (clusterrole_aggregation_controller.go).
        """
        selectors = role.get(("aggregationRule", "clusterRoleSelectors"))
        parsed = tuple(parse_selector(s) for s in selectors) if isinstance(selectors, list) else ()
        return self._aggregated_into(name, parsed)

    def _aggregated_into(self, name: str, selectors: tuple[Selector, ...]) -> tuple[PolicyRule, ...]:
        if not selectors or name in self._resolving:
            return ()  # a cycle of aggregated roles adds nothing new
        self._resolving.add(name)
        try:
            rules: list[PolicyRule] = []
            for other, labels in self._cluster_role_labels():
                if other != name and any(s.matches(labels) for s in selectors):
                    rules.extend(self.role("ClusterRole", None, other).rules)
            return tuple(rules)
        finally:
            self._resolving.discard(name)

    def _cluster_role_labels(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every ClusterRole an aggregation can select: the input's, and the built-in ones it
        does not redefine (``system:aggregate-to-edit``, and edit itself, feed admin)."""
        for name, role in self._index.cluster_roles.items():
            yield name, role.labels
        for builtin in bootstrap.cluster_roles():
            if builtin.labels and builtin.name not in self._index.cluster_roles:
                yield builtin.name, builtin.labels
