"""Can a pod send to an address and port? NetworkPolicy egress, evaluated as Kubernetes does.

Pure functions on plain data: policies are compiled once from their manifest body
(:func:`egress_policy`, :func:`cni_policy`) and then asked about any number of pods with
:func:`egress_verdict`. The semantics (``networking.k8s.io/v1``):

- a pod is egress-isolated when a policy of its own namespace selects it (``podSelector``
  against the pod's labels) and has ``Egress`` in ``policyTypes``;
- its allowed egress is the union of the egress rules of every such policy;
- a rule without ``to`` allows every address, an ``ipBlock`` allows ``cidr`` minus
  ``except``, pod and namespace selectors only ever match pods;
- a rule without ``ports`` allows every port; a port entry without protocol means TCP;
  ``endPort`` makes a range;
- hostNetwork pods are not governed by NetworkPolicy at all.

Policies of other engines (Cilium, Calico, AdminNetworkPolicy) can allow or deny on top of
that. Only deny rules that are certain to win are understood (Cilium ``egressDeny``); any
other such policy makes a "reachable" answer undecided rather than a guess.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Union

from tokenlint.k8s.labels import Selector, parse_selector
from tokenlint.model import FieldPath, ResourceRef, dotted

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

METADATA_ADDRESSES: tuple[IPAddress, ...] = (
    ipaddress.IPv4Address("169.254.169.254"),
    ipaddress.IPv6Address("fd00:ec2::254"),
)
"""The cloud instance metadata endpoint (AWS, GCP, Azure, ...) and AWS's IPv6 one."""
METADATA_PORT = 80
"""The metadata service listens on plain HTTP, TCP port 80."""

PROTOCOLS = ("TCP", "UDP", "SCTP")
DEFAULT_PROTOCOL = "TCP"
MAX_PORT = 65535
POLICY_TYPES = ("Ingress", "Egress")

CILIUM_KINDS = frozenset({"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})
HOST_SCOPE_KINDS = frozenset({"CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy"})
"""Kinds that can govern a node's own traffic (Cilium host firewall via ``nodeSelector``,
Calico host endpoints) and so a hostNetwork pod's; namespaced kinds and
AdminNetworkPolicy only ever select pods on the pod network."""
CILIUM_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"

_ANY_V4 = ipaddress.IPv4Network("0.0.0.0/0")
_ANY_V6 = ipaddress.IPv6Network("::/0")
# Cilium's entities for "outside the cluster", where the metadata endpoint lives.
_CILIUM_ENTITIES: dict[str, tuple[IPNetwork, ...]] = {
    "all": (_ANY_V4, _ANY_V6),
    "world": (_ANY_V4, _ANY_V6),
    "world-ipv4": (_ANY_V4,),
    "world-ipv6": (_ANY_V6,),
}
# IsValidPortName (k8s.io/apimachinery/pkg/util/validation): an IANA service name.
_PORT_NAME = re.compile(r"^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


class Reachability(enum.Enum):
    """The answer to "can the pod send there?"."""

    REACHABLE = "reachable"
    UNDECIDED = "undecided"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Verdict:
    """The answer, why, and the policy (with the field inside it) that decided it, if any."""

    reach: Reachability
    reason: str
    policy: ResourceRef | None = None
    path: FieldPath = ()


class Match(enum.IntEnum):
    """How one rule relates to the traffic; ordered so that ``max`` keeps the strongest."""

    NO = 0
    MAYBE = 1
    YES = 2


@dataclass(frozen=True)
class PortSpec:
    """The ports of one entry: a protocol (None: any) and a range, or a named port."""

    protocol: str | None
    first: int = 1
    last: int = MAX_PORT
    name: str | None = None

    def match(self, port: int, protocol: str) -> Match:
        if self.protocol is not None and self.protocol != protocol:
            return Match.NO
        if self.name is not None:
            # A named port resolves against the destination pod's containerPorts. Redirecting
            # metadata agents (kube2iam, GKE's metadata server) turn 169.254.169.254:80 into a
            # pod port whose name is unknown here, so a name neither proves nor rules out 80.
            return Match.MAYBE
        return Match.YES if self.first <= port <= self.last else Match.NO

    def describe(self) -> str:
        protocol = self.protocol or "any protocol"
        if self.name is not None:
            return f"{protocol} port named {self.name!r}"
        if (self.first, self.last) == (1, MAX_PORT):
            return f"all {protocol} ports"
        if self.first == self.last:
            return f"{protocol} {self.first}"
        return f"{protocol} {self.first}-{self.last}"


@dataclass(frozen=True)
class Destination:
    """Addresses in ``network`` but not in any of ``excepts``."""

    network: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def covers(self, address: IPAddress) -> bool:
        # IPv4 and IPv6 are separate families: ::/0 says nothing about 169.254.169.254.
        if address.version != self.network.version:
            return False
        return address in self.network and not any(address in e for e in self.excepts)

    def describe(self) -> str:
        text = str(self.network)
        return f"{text} except {', '.join(map(str, self.excepts))}" if self.excepts else text


@dataclass(frozen=True)
class EgressRule:
    """One egress rule: destinations (None: every address) and ports (None: every port)."""

    path: FieldPath
    destinations: tuple[Destination, ...] | None
    ports: tuple[PortSpec, ...] | None

    def match(self, address: IPAddress, port: int, protocol: str) -> tuple[Match, str]:
        """How the rule treats the traffic, and a description of the part that matched."""
        if self.destinations is None:
            where = "every address"
        else:
            covering = next((d for d in self.destinations if d.covers(address)), None)
            if covering is None:
                return Match.NO, ""
            where = covering.describe()
        if self.ports is None:
            return Match.YES, f"{where} on all ports"
        found, spec = max(
            ((p.match(port, protocol), p) for p in self.ports), key=lambda m: m[0], default=(Match.NO, None)
        )
        return found, f"{where} on {spec.describe()}" if spec is not None else ""


@dataclass(frozen=True)
class EgressPolicy:
    """A compiled ``networking.k8s.io`` NetworkPolicy.

    ``problems`` lists what the API server would reject; such a policy never exists in a
    cluster and selects nothing.
    """

    ref: ResourceRef
    selector: Selector
    isolates_egress: bool
    rules: tuple[EgressRule, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DenyRule:
    """A deny that wins over every allow, for the endpoints ``selector`` selects."""

    selector: Selector
    rule: EgressRule


@dataclass(frozen=True)
class CniPolicy:
    """A policy of another engine: what is known to be denied, and whether it can govern hosts."""

    ref: ResourceRef
    host_scope: bool
    denies: tuple[DenyRule, ...] = ()


def egress_policy(ref: ResourceRef, body: Mapping[str, Any]) -> EgressPolicy:
    """Compile a NetworkPolicy body once, validating what the evaluation relies on."""
    spec = _mapping(body.get("spec"))
    raw_selector = spec.get("podSelector")
    # spec.podSelector is a struct, not a pointer: an absent one decodes to the empty
    # selector, which selects every pod of the namespace.
    selector = parse_selector({} if raw_selector is None else raw_selector)
    problems = [f"spec.podSelector.{p}" for p in selector.problems]
    egress = spec.get("egress")
    egress = egress if isinstance(egress, list) else []
    types = _list(spec.get("policyTypes"))
    if types:
        problems += [
            f"spec.policyTypes: {t!r} is not one of {', '.join(POLICY_TYPES)}" for t in types if t not in POLICY_TYPES
        ]
        isolates = "Egress" in types
    else:
        # SetDefaults_NetworkPolicy: unset policyTypes means Ingress, plus Egress when the
        # policy has egress rules (len > 0: an empty `egress: []` adds nothing).
        isolates = bool(egress)
    rules = []
    for position, raw in enumerate(egress):
        rule, found = _egress_rule(("spec", "egress", position), raw)
        rules.append(rule)
        problems += found
    return EgressPolicy(ref, selector, isolates, tuple(rules), tuple(problems))


def cni_policy(ref: ResourceRef, body: Mapping[str, Any]) -> CniPolicy:
    """Compile a CNI-specific policy: the denies tokenlint can prove, nothing else."""
    denies = _cilium_denies(body) if ref.kind in CILIUM_KINDS else ()
    return CniPolicy(ref, ref.kind in HOST_SCOPE_KINDS, denies)


DENY_METADATA_POLICY = "deny-metadata-egress"


def deny_metadata_policy(namespace: str | None, addresses: Iterable[IPAddress]) -> dict[str, Any]:
    """A NetworkPolicy that isolates every pod of a namespace for egress and allows all but ``addresses``.

    Policies add up, so this one is only safe where no other policy isolates a pod of the
    namespace for egress: there it takes nothing away but the endpoint. Pods stay
    reachable through ``namespaceSelector: {}`` too, because some network plugins do not
    apply ``ipBlock`` to pod addresses.
    """
    blocked = sorted(set(addresses), key=lambda a: (a.version, int(a)))
    peers: list[dict[str, Any]] = []
    for any_network in (_ANY_V4, _ANY_V6):
        block: dict[str, Any] = {"cidr": str(any_network)}
        excepts = [f"{a}/{a.max_prefixlen}" for a in blocked if a.version == any_network.version]
        if excepts:
            block["except"] = excepts
        peers.append({"ipBlock": block})
    peers.append({"namespaceSelector": {}})
    metadata: dict[str, Any] = {"name": DENY_METADATA_POLICY}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": peers}]},
    }


def egress_verdict(
    pod_labels: Mapping[str, Any],
    namespace: str,
    policies: Iterable[EgressPolicy],
    cni_policies: Iterable[CniPolicy],
    address: IPAddress,
    port: int = METADATA_PORT,
    protocol: str = DEFAULT_PROTOCOL,
    *,
    host_network: bool = False,
) -> Verdict:
    """Whether a pod of ``namespace`` with ``pod_labels`` can send to ``address:port``.

    ``policies`` and ``cni_policies`` may hold policies of any namespace; only the pod's
    own namespace and cluster-wide ones are considered.
    """
    if host_network:
        # NetworkPolicy applies to pod-network traffic; a hostNetwork pod sends as the node.
        verdict = Verdict(Reachability.REACHABLE, "the pods use the host network, which NetworkPolicy does not govern")
        return _undecided(verdict, [p for p in cni_policies if p.host_scope])
    verdict = _core_verdict(pod_labels, namespace, policies, address, port, protocol)
    if verdict.reach is Reachability.BLOCKED:
        return verdict
    relevant = [p for p in cni_policies if p.ref.namespace in (namespace, None)]
    endpoint = {**pod_labels, CILIUM_NAMESPACE_LABEL: namespace}
    for policy in relevant:
        for deny in policy.denies:
            # Cilium deny rules take precedence over every allow, whatever engine allowed it.
            if deny.selector.matches(endpoint) and deny.rule.match(address, port, protocol)[0] is Match.YES:
                return Verdict(
                    Reachability.BLOCKED, f"{_engine_display(policy.ref)} denies it", policy.ref, deny.rule.path
                )
    return _undecided(verdict, relevant)


def _core_verdict(
    pod_labels: Mapping[str, Any],
    namespace: str,
    policies: Iterable[EgressPolicy],
    address: IPAddress,
    port: int,
    protocol: str,
) -> Verdict:
    mine = [p for p in policies if p.ref.namespace == namespace]
    selecting = [p for p in mine if not p.problems and p.selector.matches(pod_labels)]
    isolating = [p for p in selecting if p.isolates_egress]
    if isolating:
        verdict = _allowed(isolating, address, port, protocol)
    elif selecting:
        policy = selecting[0]
        reason = f"{policy.ref.display()} selects the pods for Ingress only"
        verdict = Verdict(Reachability.REACHABLE, reason, policy.ref, ("spec", "policyTypes"))
    else:
        verdict = Verdict(Reachability.REACHABLE, "no NetworkPolicy with Egress selects the pods")
    rejected = next((p for p in mine if p.problems), None)
    if rejected is not None and verdict.reach is not Reachability.BLOCKED:
        note = f"{rejected.ref.display()} does not count: the API server rejects it ({rejected.problems[0]})"
        verdict = replace(verdict, reason=f"{verdict.reason}; {note}")
    return verdict


def _allowed(isolating: Sequence[EgressPolicy], address: IPAddress, port: int, protocol: str) -> Verdict:
    """The union of the egress rules of every policy that isolates the pod."""
    maybe: Verdict | None = None
    for policy in isolating:
        for rule in policy.rules:
            found, text = rule.match(address, port, protocol)
            if found is Match.YES:
                return Verdict(Reachability.REACHABLE, f"{policy.ref.display()} allows {text}", policy.ref, rule.path)
            if found is Match.MAYBE and maybe is None:
                reason = f"{policy.ref.display()} allows {text}, which cannot be resolved to a number here"
                maybe = Verdict(Reachability.UNDECIDED, reason, policy.ref, rule.path)
    if maybe is not None:
        return maybe
    names = ", ".join(p.ref.display() for p in isolating)
    return Verdict(Reachability.BLOCKED, f"egress is limited by {names}", isolating[0].ref, ("spec", "egress"))


def _undecided(verdict: Verdict, policies: Sequence[CniPolicy]) -> Verdict:
    """Downgrade a "reachable" answer when policies tokenlint cannot evaluate are in force."""
    if not policies:
        return verdict
    names = ", ".join(_engine_display(p.ref) for p in policies[:3])
    more = f" and {len(policies) - 3} more" if len(policies) > 3 else ""
    reason = f"{verdict.reason}, but {names}{more} may allow or deny it and tokenlint cannot evaluate that"
    return Verdict(Reachability.UNDECIDED, reason, policies[0].ref, ())


def _engine_display(ref: ResourceRef) -> str:
    """Name Calico's policies as such: its namespaced one shares the kind name NetworkPolicy."""
    calico = "projectcalico.org/" in ref.api_version
    return f"Calico {ref.display()}" if calico else ref.display()


def _egress_rule(path: FieldPath, raw: Any) -> tuple[EgressRule, list[str]]:
    # A null list entry decodes to the zero rule, which allows everything.
    rule = _mapping(raw)
    problems: list[str] = []
    peers = rule.get("to")
    destinations: tuple[Destination, ...] | None = None
    if isinstance(peers, list) and peers:
        found_destinations = []
        for position, peer in enumerate(peers):
            destination, found = _peer((*path, "to", position), peer)
            problems += found
            if destination is not None:
                found_destinations.append(destination)
        destinations = tuple(found_destinations)
    ports = rule.get("ports")
    specs: tuple[PortSpec, ...] | None = None
    if isinstance(ports, list) and ports:
        found_specs = []
        for position, entry in enumerate(ports):
            spec, found = _port((*path, "ports", position), entry)
            problems += found
            found_specs.append(spec)
        specs = tuple(found_specs)
    return EgressRule(path, destinations, specs), problems


def _peer(path: FieldPath, raw: Any) -> tuple[Destination | None, list[str]]:
    """One ``to`` entry; only an ipBlock can ever match an address outside the pod network."""
    peer = _mapping(raw)
    kinds = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
    where = dotted(path)
    if not kinds:
        return None, [f"{where}: must specify a peer"]
    if "ipBlock" in kinds and len(kinds) > 1:
        return None, [f"{where}: may not specify both ipBlock and another peer"]
    if "ipBlock" not in kinds:
        return None, [f"{where}.{k}.{p}" for k in kinds for p in parse_selector(peer[k]).problems]
    block = _mapping(peer["ipBlock"])
    network = _cidr(block.get("cidr"))
    if network is None:
        return None, [f"{where}.ipBlock.cidr: {block.get('cidr')!r} is not a CIDR such as 10.0.0.0/8"]
    excepts: list[IPNetwork] = []
    problems = []
    raw_excepts = block.get("except")
    for position, text in enumerate(raw_excepts if isinstance(raw_excepts, list) else []):
        excluded = _cidr(text)
        # ValidateIPBlock: each except must be a strict subset of cidr (same family).
        if excluded is None or excluded.version != network.version or not _strict_subnet(excluded, network):
            problems.append(f"{where}.ipBlock.except[{position}]: {text!r} must be a CIDR strictly inside {network}")
        else:
            excepts.append(excluded)
    return Destination(network, tuple(excepts)), problems


def _port(path: FieldPath, raw: Any) -> tuple[PortSpec, list[str]]:
    """One ``ports`` entry; absent protocol is TCP, absent port is every port of the protocol."""
    entry = _mapping(raw)
    where = dotted(path)
    protocol = entry.get("protocol") or DEFAULT_PROTOCOL
    problems = [] if protocol in PROTOCOLS else [f"{where}.protocol: {protocol!r} is not one of {', '.join(PROTOCOLS)}"]
    port, end = entry.get("port"), entry.get("endPort")
    if isinstance(port, str):
        if not _PORT_NAME.match(port):
            problems.append(f"{where}.port: {port!r} is neither a number nor a valid port name")
        if end is not None:
            problems.append(f"{where}.endPort: may not be set with a named port")
        return PortSpec(protocol, name=port), problems
    if port is None:
        if end is not None:
            problems.append(f"{where}.endPort: may not be set without port")
        return PortSpec(protocol), problems
    if not _is_port(port):
        return PortSpec(protocol), [*problems, f"{where}.port: {port!r} is not a port number (1-65535)"]
    if end is None:
        return PortSpec(protocol, port, port), problems
    if not _is_port(end) or end < port:
        return PortSpec(protocol, port, port), [*problems, f"{where}.endPort: {end!r} must be a port >= {port}"]
    return PortSpec(protocol, port, end), problems


def _cilium_denies(body: Mapping[str, Any]) -> tuple[DenyRule, ...]:
    """The ``egressDeny`` rules of a Cilium policy (``spec`` and every ``specs`` entry)."""
    specs: list[tuple[FieldPath, Mapping[str, Any]]] = []
    if isinstance(body.get("spec"), Mapping):
        specs.append((("spec",), body["spec"]))
    many = body.get("specs")
    specs += [(("specs", i), s) for i, s in enumerate(many if isinstance(many, list) else []) if isinstance(s, Mapping)]
    denies = []
    for path, spec in specs:
        selector = _cilium_selector(spec.get("endpointSelector"))
        rules = spec.get("egressDeny")
        if selector is None or not isinstance(rules, list):
            continue
        for position, raw in enumerate(rules):
            denies.append(DenyRule(selector, _cilium_deny_rule((*path, "egressDeny", position), _mapping(raw))))
    return tuple(denies)


def _cilium_selector(raw: Any) -> Selector | None:
    """An ``endpointSelector`` that can be evaluated on a pod's labels, or None.

    Cilium keys carry a source (``k8s:app``, ``any:app``); a pod's own labels come from
    k8s, and its namespace is the label ``io.kubernetes.pod.namespace``. Other sources and
    Cilium's derived labels (service account, namespace labels) are unknown here, so a
    selector that uses them cannot prove anything. A policy with ``nodeSelector`` instead
    selects nodes, not pods.
    """
    if not isinstance(raw, Mapping):
        return None
    match_labels = raw.get("matchLabels") or {}
    expressions = raw.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, list):
        return None
    labels = {_cilium_key(k): v for k, v in match_labels.items()}
    rewritten = [{**e, "key": _cilium_key(e.get("key"))} for e in expressions if isinstance(e, Mapping)]
    if None in labels or any(e["key"] is None for e in rewritten) or len(rewritten) != len(expressions):
        return None
    selector = parse_selector({"matchLabels": labels, "matchExpressions": rewritten})
    return None if selector.problems else selector


def _cilium_key(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    source, _, name = key.rpartition(":")
    if source not in ("", "k8s", "any"):
        return None
    if name.startswith(("io.cilium.", "io.kubernetes.")) and name != CILIUM_NAMESPACE_LABEL:
        return None
    return name


def _cilium_deny_rule(path: FieldPath, rule: Mapping[str, Any]) -> EgressRule:
    """The addresses and ports one ``egressDeny`` rule certainly denies.

    Only explicit CIDRs and the "outside the cluster" entities count; endpoint, service
    and FQDN selectors never prove a deny of a raw address.
    """
    destinations = [Destination(n) for n in map(_address_or_cidr, _list(rule.get("toCIDR"))) if n is not None]
    for entry in map(_mapping, _list(rule.get("toCIDRSet"))):
        network = _address_or_cidr(entry.get("cidr"))
        excepts = [_address_or_cidr(e) for e in _list(entry.get("except"))]
        # An except that cannot be read might exclude the address: no proof then.
        if network is not None and None not in excepts:
            destinations.append(Destination(network, tuple(e for e in excepts if e is not None)))
    for entity in _list(rule.get("toEntities")):
        destinations += [Destination(n) for n in _CILIUM_ENTITIES.get(str(entity), ())]
    ports: list[PortSpec] = []
    for port_rule in map(_mapping, _list(rule.get("toPorts"))):
        ports += [_cilium_port(_mapping(p)) for p in _list(port_rule.get("ports"))]
    return EgressRule(path, tuple(destinations), tuple(ports) if rule.get("toPorts") else None)


def _cilium_port(entry: Mapping[str, Any]) -> PortSpec:
    """A Cilium ``PortProtocol``: protocol ANY by default, port ``"0"`` or absent for all."""
    raw_protocol = str(entry.get("protocol") or "ANY").upper()
    protocol = None if raw_protocol == "ANY" else raw_protocol
    port = entry.get("port")
    text = str(port) if port is not None else "0"
    if not text.isdigit():
        return PortSpec(protocol, name=text)
    first = int(text)
    if first == 0:
        return PortSpec(protocol)
    end = entry.get("endPort")
    last = end if isinstance(end, int) and not isinstance(end, bool) and end > first else first
    return PortSpec(protocol, first, last)


def _cidr(text: Any) -> IPNetwork | None:
    """A CIDR as ``net.ParseCIDR`` reads it: a prefix length is required, host bits are masked."""
    if not isinstance(text, str) or "/" not in text:
        return None
    return _address_or_cidr(text)


def _address_or_cidr(text: Any) -> IPNetwork | None:
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _strict_subnet(inner: IPNetwork, outer: IPNetwork) -> bool:
    return inner.prefixlen > outer.prefixlen and inner.network_address in outer


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PORT


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
