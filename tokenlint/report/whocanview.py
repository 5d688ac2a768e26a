"""The ``tokenlint who-can`` view: which subjects may make one request, through what, and whose pods carry it.

``kubectl auth can-i`` and ``kubectl who-can`` ask a live cluster; this answers from files
(manifests, charts, a cluster dump) with the same rules the RBAC authorizer applies:
a binding's subjects may make the request when one rule of its role allows the verb, the
API group and the resource (``RuleAllows`` in ``pkg/apis/rbac/v1/evaluation_helpers.go``),
a RoleBinding only inside its namespace and never on cluster-scoped resources, and a
ClusterRoleBinding everywhere. Roles resolve as everywhere else in tokenlint: the input's,
aggregated ClusterRoles, and Kubernetes' bootstrap roles by name.

For each service account that may, the workloads whose pods carry its token are listed
too: those tokens are the ones that can make the request. Inputs go through the engine like
a lint run; the only "rule" is :class:`Collector`, which reports nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tokenlint.engine.run import LintOptions, lint
from tokenlint.k8s.defaults import is_kubernetes_own
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import allows
from tokenlint.k8s.reach import Binding, Reaches, Subject, account_name, reach_of
from tokenlint.model import InputError, Location, Severity
from tokenlint.report.pathsview import Carrier, carriers_of
from tokenlint.resources.resource import Stream
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta

_GROUPS = {
    "apps": "deployments daemonsets statefulsets replicasets controllerrevisions",
    "batch": "jobs cronjobs",
    "rbac.authorization.k8s.io": "roles rolebindings clusterroles clusterrolebindings",
    "networking.k8s.io": "networkpolicies ingresses ingressclasses",
    "policy": "poddisruptionbudgets",
    "autoscaling": "horizontalpodautoscalers",
    "admissionregistration.k8s.io": "mutatingwebhookconfigurations validatingwebhookconfigurations"
    " validatingadmissionpolicies validatingadmissionpolicybindings",
    "certificates.k8s.io": "certificatesigningrequests",
    "storage.k8s.io": "storageclasses csidrivers csinodes volumeattachments",
    "apiextensions.k8s.io": "customresourcedefinitions",
    "coordination.k8s.io": "leases",
    "authentication.k8s.io": "tokenreviews",
    "authorization.k8s.io": "subjectaccessreviews localsubjectaccessreviews",
}
GROUP_OF = {resource: group for group, names in _GROUPS.items() for resource in names.split()}
"""The API group of common resources named without one (``deployments`` is ``apps``)."""

CLUSTER_RESOURCES = frozenset(
    {
        "nodes",
        "namespaces",
        "persistentvolumes",
        "clusterroles",
        "clusterrolebindings",
        "certificatesigningrequests",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
        "customresourcedefinitions",
        "storageclasses",
        "csidrivers",
        "csinodes",
        "volumeattachments",
        "priorityclasses",
        "runtimeclasses",
        "ingressclasses",
        "apiservices",
        "tokenreviews",
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "users",
        "groups",
        "signers",
    }
)
"""Resources outside namespaces: a RoleBinding never authorizes a request on them."""


@dataclass(frozen=True)
class Request:
    """One API request: ``verb`` on ``resource`` (``pods/exec``) of ``group``, in ``namespace`` or anywhere."""

    verb: str
    group: str
    resource: str
    namespace: str | None

    @classmethod
    def parse(cls, verb: str, text: str, namespace: str | None) -> Request:
        """``pods``, ``pods/exec``, ``deployments.apps``, ``deployments.apps/scale`` (kubectl's spelling)."""
        base, slash, sub = text.strip().lower().partition("/")
        name, dot, group = base.partition(".")
        if not dot:
            group = GROUP_OF.get(name, "")
        if not name or (slash and not sub):
            raise ValueError(f"not a resource: {text!r} (expected RESOURCE[.GROUP][/SUBRESOURCE], e.g. pods/exec)")
        return cls(verb.strip().lower(), group, f"{name}/{sub}" if slash else name, namespace)

    @property
    def cluster_scoped(self) -> bool:
        return self.resource.partition("/")[0] in CLUSTER_RESOURCES

    def display(self) -> str:
        group = "core group" if not self.group else f"group {self.group}"
        where = (
            "cluster-wide"
            if self.cluster_scoped
            else (f"in namespace {self.namespace}" if self.namespace else "in any namespace")
        )
        return f"{self.verb} {self.resource} ({group}) {where}"


@dataclass(frozen=True)
class Via:
    """One binding, role and rule through which a subject may make the request."""

    binding: str
    role: str
    rule: str
    scope: str | None
    names: tuple[str, ...]
    own: bool
    location: Location

    @property
    def where(self) -> str:
        return "cluster-wide" if self.scope is None else f"in namespace {self.scope}"


@dataclass
class Holder:
    """A subject that may make the request; lists keep input order and hold no duplicates."""

    kind: str
    name: str
    namespace: str | None = None
    via: list[Via] = field(default_factory=list)
    carriers: list[Carrier] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace or "", self.name)

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def merge(self, other: Holder) -> None:
        self.via.extend(v for v in other.via if v not in self.via)
        self.carriers.extend(c for c in other.carriers if c not in self.carriers)


def _holder(subject: Subject) -> Holder:
    """The subject as the identity it stands for: a service account's User form is the account."""
    if subject.reaches is Reaches.ACCOUNT:
        return Holder("ServiceAccount", account_name(subject), subject.namespace)
    return Holder(subject.kind, subject.name)


def _via(binding: Binding, index: int) -> Via:
    rule = binding.role.rules[index]
    if rule.origin is not None:
        where = rule.origin.locate(("rules", rule.index))
    else:
        where = binding.resource.locate(("roleRef", "name"))
    own = is_kubernetes_own(binding.resource)
    text = f"rules[{rule.index}]"
    if rule.origin is not None and rule.origin is not binding.role.resource:
        text = f"(aggregated from {rule.origin.kind} {rule.origin.name}) {text}"
    return Via(
        binding.resource.ref.display(),
        binding.role.display(),
        text,
        binding.scope,
        rule.names,
        own,
        where,
    )


def _applies(binding: Binding, request: Request) -> bool:
    if binding.scope is None:
        return True
    if request.cluster_scoped:
        return False
    return request.namespace is None or binding.scope == request.namespace


def holders_of(index: BundleIndex, request: Request) -> list[Holder]:
    """Every subject of ``index``'s bindings that may make ``request``, with how and who carries its token."""
    reach = reach_of(index)
    carriers = carriers_of(index)
    found: dict[tuple[str, str, str], Holder] = {}
    for binding in reach.bindings:
        if not binding.role.known or not _applies(binding, request):
            continue
        matched = [
            i
            for i, rule in enumerate(binding.role.rules)
            if allows(rule, request.verb, request.group, request.resource)
        ]
        if not matched:
            continue
        holder = _holder(binding.subject)
        holder = found.setdefault(holder.key, holder)
        holder.via.extend(v for v in (_via(binding, i) for i in matched) if v not in holder.via)
        for key, carried in carriers.items():
            if _carries(binding.subject, key):
                holder.carriers.extend(c for c in carried if c not in holder.carriers)
    return list(found.values())


def _carries(subject: Subject, account: tuple[str, str]) -> bool:
    """Whether the token of ``account`` is one of ``subject``'s identities."""
    if subject.reaches is Reaches.ACCOUNT:
        return (subject.namespace, account_name(subject)) == account
    if subject.reaches is Reaches.NAMESPACE:
        return subject.namespace == account[0]
    return subject.reaches is Reaches.ALL_ACCOUNTS


class Collector(BundleRule):
    """Keeps the holders of every bundle the engine builds; reports nothing."""

    meta = RuleMeta(id="TL998", name="who-can-view", severity=Severity.INFO, summary="collects the who-can view")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.holders: dict[tuple[str, str, str], Holder] = {}

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for holder in holders_of(index, self.request):
            seen = self.holders.get(holder.key)
            if seen is None:
                self.holders[holder.key] = holder
            else:
                seen.merge(holder)


@dataclass(frozen=True)
class WhoCanView:
    """What the renderers receive: the request, its holders (service accounts first), input errors."""

    request: Request
    holders: tuple[Holder, ...]
    errors: tuple[InputError, ...]


_ORDER = {"ServiceAccount": 0, "User": 1, "Group": 2}


def collect(inputs: Iterable[Stream | InputError], request: Request, options: LintOptions | None = None) -> WhoCanView:
    """Read the inputs as a lint run would and answer ``request`` from their bindings."""
    collector = Collector(request)
    result = lint(inputs, RuleSet((collector,)), options)
    ordered = sorted(collector.holders.values(), key=lambda h: (_ORDER.get(h.kind, 3), h.key))
    return WhoCanView(request, tuple(ordered), tuple(result.errors))
