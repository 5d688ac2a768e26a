"""Egress evaluation of NetworkPolicy (and the CNI policies it knows), case by case."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pytest

from tokenlint.k8s.netpol import (
    METADATA_ADDRESSES,
    Reachability,
    cni_policy,
    egress_policy,
    egress_verdict,
)
from tokenlint.model import ResourceRef

V4, V6 = METADATA_ADDRESSES
WEB = {"app": "web"}
NS = "prod"


def np(name: str, spec: dict[str, Any], namespace: str = NS) -> tuple[ResourceRef, dict[str, Any]]:
    return ResourceRef("networking.k8s.io/v1", "NetworkPolicy", namespace, name), {"spec": spec}


def cilium(name: str, spec: dict[str, Any], namespace: str | None = NS) -> tuple[ResourceRef, dict[str, Any]]:
    kind = "CiliumNetworkPolicy" if namespace else "CiliumClusterwideNetworkPolicy"
    return ResourceRef("cilium.io/v2", kind, namespace, name), {"spec": spec}


def egress(*rules: dict[str, Any], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Egress policy over ``selector`` (all pods by default) with ``rules``."""
    return {"podSelector": {} if selector is None else selector, "policyTypes": ["Egress"], "egress": list(rules)}


def to_cidr(cidr: str, *excepts: str, ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    rule: dict[str, Any] = {"to": [{"ipBlock": block}]}
    if ports is not None:
        rule["ports"] = ports
    return rule


DENY_ALL = egress()
ALL_V4 = egress(to_cidr("0.0.0.0/0"))
CILIUM_DENY_METADATA = {"endpointSelector": {}, "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}]}


@dataclass(frozen=True)
class Case:
    id: str
    policies: list[tuple[ResourceRef, dict[str, Any]]]
    reach: Reachability
    reason: str
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = V4
    port: int = 80
    protocol: str = "TCP"
    labels: dict[str, Any] = field(default_factory=lambda: WEB)
    cni: list[tuple[ResourceRef, dict[str, Any]]] = field(default_factory=list)
    host_network: bool = False


NO_POLICY = "no NetworkPolicy with Egress selects the pods"
LIMITED = "egress is limited by NetworkPolicy prod/p"

CASES = [
    Case("no policy", [], Reachability.REACHABLE, NO_POLICY),
    Case(
        "a policy selecting other pods only",
        [np("p", egress(selector={"matchLabels": {"app": "db"}}))],
        Reachability.REACHABLE,
        NO_POLICY,
    ),
    Case(
        "Ingress-only policy",
        [np("p", {"podSelector": {}, "policyTypes": ["Ingress"]})],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p selects the pods for Ingress only",
    ),
    Case(
        "unset policyTypes without egress means Ingress",
        [np("p", {"podSelector": {}, "ingress": [{}]})],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p selects the pods for Ingress only",
    ),
    Case(
        "unset policyTypes with an empty egress list means Ingress",
        [np("p", {"podSelector": {}, "egress": []})],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p selects the pods for Ingress only",
    ),
    Case(
        "unset policyTypes with egress means Egress too",
        [np("p", {"podSelector": {}, "egress": [to_cidr("10.0.0.0/8")]})],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case("Egress without rules denies all", [np("p", DENY_ALL)], Reachability.BLOCKED, LIMITED),
    Case("absent podSelector selects every pod", [np("p", {"policyTypes": ["Egress"]})], Reachability.BLOCKED, LIMITED),
    Case(
        "0.0.0.0/0 on all ports",
        [np("p", ALL_V4)],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows 0.0.0.0/0 on all ports",
    ),
    Case(
        "a rule without to",
        [np("p", egress({}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on all ports",
    ),
    Case(
        "a rule with an empty to",
        [np("p", egress({"to": []}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on all ports",
    ),
    Case(
        "0.0.0.0/0 except 169.254.0.0/16",
        [np("p", egress(to_cidr("0.0.0.0/0", "169.254.0.0/16")))],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case(
        "except 169.254.169.254/32",
        [np("p", egress(to_cidr("0.0.0.0/0", "169.254.169.254/32")))],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case(
        "an except elsewhere keeps the address",
        [np("p", egress(to_cidr("0.0.0.0/0", "10.0.0.0/8")))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows 0.0.0.0/0 except 10.0.0.0/8 on all ports",
    ),
    Case(
        "only port 443", [np("p", egress(to_cidr("0.0.0.0/0", ports=[{"port": 443}])))], Reachability.BLOCKED, LIMITED
    ),
    Case(
        "port 80 UDP",
        [np("p", egress(to_cidr("0.0.0.0/0", ports=[{"port": 80, "protocol": "UDP"}])))],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case(
        "port 80 TCP",
        [np("p", egress(to_cidr("0.0.0.0/0", ports=[{"port": 80, "protocol": "TCP"}])))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows 0.0.0.0/0 on TCP 80",
    ),
    Case(
        "port 80 without protocol means TCP",
        [np("p", egress({"ports": [{"port": 80}]}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on TCP 80",
    ),
    Case(
        "protocol without port means all its ports",
        [np("p", egress({"ports": [{"protocol": "TCP"}]}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on all TCP ports",
    ),
    Case(
        "endPort range covering 80",
        [np("p", egress({"ports": [{"port": 443}, {"port": 1, "endPort": 1024}]}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on TCP 1-1024",
    ),
    Case(
        "endPort range above 80",
        [np("p", egress({"ports": [{"port": 81, "endPort": 1024}]}))],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case(
        "named port cannot be resolved",
        [np("p", egress({"ports": [{"port": "http"}]}))],
        Reachability.UNDECIDED,
        "NetworkPolicy prod/p allows every address on TCP port named 'http', which cannot be resolved to a number here",
    ),
    Case(
        "a numeric port wins over a named one",
        [np("p", egress({"ports": [{"port": "http"}, {"port": 80}]}))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows every address on TCP 80",
    ),
    Case(
        "pod and namespace selectors never match the address",
        [
            np(
                "p",
                egress(
                    {
                        "to": [
                            {"podSelector": {}},
                            {"namespaceSelector": {}},
                            {"namespaceSelector": {}, "podSelector": {}},
                        ]
                    }
                ),
            )
        ],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case("::/0 does not cover IPv4", [np("p", egress(to_cidr("::/0")))], Reachability.BLOCKED, LIMITED),
    Case("0.0.0.0/0 does not cover IPv6", [np("p", ALL_V4)], Reachability.BLOCKED, LIMITED, address=V6),
    Case(
        "fd00:ec2::254 via ::/0",
        [np("p", egress(to_cidr("::/0")))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/p allows ::/0 on all ports",
        address=V6,
    ),
    Case(
        "matchExpressions select the pod",
        [np("p", egress(selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}))],
        Reachability.BLOCKED,
        LIMITED,
    ),
    Case(
        "matchExpressions exclude the pod",
        [np("p", egress(selector={"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}))],
        Reachability.REACHABLE,
        NO_POLICY,
    ),
    Case(
        "two policies whose union allows",
        [np("a", egress(to_cidr("10.0.0.0/8"))), np("b", egress(to_cidr("169.254.0.0/16", ports=[{"port": 80}])))],
        Reachability.REACHABLE,
        "NetworkPolicy prod/b allows 169.254.0.0/16 on TCP 80",
    ),
    Case(
        "two policies that both limit",
        [np("a", egress(to_cidr("10.0.0.0/8"))), np("b", DENY_ALL)],
        Reachability.BLOCKED,
        "egress is limited by NetworkPolicy prod/a, NetworkPolicy prod/b",
    ),
    Case(
        "a policy in another namespace does not apply",
        [np("p", DENY_ALL, namespace="other")],
        Reachability.REACHABLE,
        NO_POLICY,
    ),
    Case(
        "hostNetwork is not governed by NetworkPolicy",
        [np("p", DENY_ALL)],
        Reachability.REACHABLE,
        "the pods use the host network, which NetworkPolicy does not govern",
        host_network=True,
    ),
    Case(
        "a policy the API server rejects does not count",
        [np("p", egress(to_cidr("169.254.169.254")))],
        Reachability.REACHABLE,
        NO_POLICY + "; NetworkPolicy prod/p does not count: the API server rejects it "
        "(spec.egress[0].to[0].ipBlock.cidr: '169.254.169.254' is not a CIDR such as 10.0.0.0/8)",
    ),
    # CNI policies: only a provable deny decides; anything else makes "reachable" undecided.
    Case(
        "a CiliumNetworkPolicy of the namespace makes it undecided",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[cilium("c", {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]})],
    ),
    Case(
        "a cluster-wide Cilium policy makes it undecided",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumClusterwideNetworkPolicy c may allow or deny it and tokenlint cannot evaluate that",
        cni=[cilium("c", {"endpointSelector": {}}, namespace=None)],
    ),
    Case(
        "a Calico policy of the namespace is named as Calico's",
        [np("p", ALL_V4)],
        Reachability.UNDECIDED,
        "NetworkPolicy prod/p allows 0.0.0.0/0 on all ports, but Calico NetworkPolicy prod/k may allow or deny it "
        "and tokenlint cannot evaluate that",
        cni=[(ResourceRef("projectcalico.org/v3", "NetworkPolicy", NS, "k"), {"spec": {}})],
    ),
    Case(
        "a CNI policy of another namespace does not matter",
        [],
        Reachability.REACHABLE,
        NO_POLICY,
        cni=[cilium("c", CILIUM_DENY_METADATA, namespace="other")],
    ),
    Case(
        "a CNI policy does not reopen a blocked address",
        [np("p", DENY_ALL)],
        Reachability.BLOCKED,
        LIMITED,
        cni=[cilium("c", {"endpointSelector": {}, "egress": [{"toEntities": ["world"]}]})],
    ),
    Case(
        "Cilium egressDeny toCIDR",
        [],
        Reachability.BLOCKED,
        "CiliumNetworkPolicy prod/c denies it",
        cni=[cilium("c", CILIUM_DENY_METADATA)],
    ),
    Case(
        "Cilium egressDeny toEntities world from a cluster-wide policy with a k8s: key",
        [np("p", ALL_V4)],
        Reachability.BLOCKED,
        "CiliumClusterwideNetworkPolicy c denies it",
        cni=[
            cilium(
                "c",
                {"endpointSelector": {"matchLabels": {"k8s:app": "web"}}, "egressDeny": [{"toEntities": ["world"]}]},
                namespace=None,
            )
        ],
    ),
    Case(
        "Cilium egressDeny selecting by namespace label",
        [],
        Reachability.BLOCKED,
        "CiliumClusterwideNetworkPolicy c denies it",
        cni=[
            cilium(
                "c",
                {
                    "endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": NS}},
                    "egressDeny": [
                        {"toCIDRSet": [{"cidr": "169.254.0.0/16"}], "toPorts": [{"ports": [{"port": "80"}]}]}
                    ],
                },
                namespace=None,
            )
        ],
    ),
    Case(
        "Cilium egressDeny toEntities world-ipv6 covers IPv6 only",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[cilium("c", {"endpointSelector": {}, "egressDeny": [{"toEntities": ["world-ipv6"]}]})],
    ),
    Case(
        "Cilium egressDeny on another port proves nothing",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[
            cilium(
                "c",
                {
                    "endpointSelector": {},
                    "egressDeny": [
                        {"toCIDR": ["169.254.169.254"], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}
                    ],
                },
            )
        ],
    ),
    Case(
        "Cilium egressDeny with an except on the address proves nothing",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[
            cilium(
                "c",
                {
                    "endpointSelector": {},
                    "egressDeny": [{"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}]}],
                },
            )
        ],
    ),
    Case(
        "Cilium egressDeny for other pods proves nothing",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[cilium("c", {**CILIUM_DENY_METADATA, "endpointSelector": {"matchLabels": {"app": "db"}}})],
    ),
    Case(
        "Cilium selector on derived labels proves nothing",
        [],
        Reachability.UNDECIDED,
        NO_POLICY + ", but CiliumNetworkPolicy prod/c may allow or deny it and tokenlint cannot evaluate that",
        cni=[
            cilium(
                "c",
                {
                    **CILIUM_DENY_METADATA,
                    "endpointSelector": {
                        "matchExpressions": [
                            {"key": "k8s:io.cilium.k8s.policy.serviceaccount", "operator": "NotIn", "values": ["x"]}
                        ]
                    },
                },
            )
        ],
    ),
    Case(
        "Cilium egressDeny in a specs entry",
        [],
        Reachability.BLOCKED,
        "CiliumNetworkPolicy prod/c denies it",
        cni=[
            (
                ResourceRef("cilium.io/v2", "CiliumNetworkPolicy", NS, "c"),
                {"specs": [{"endpointSelector": {}}, CILIUM_DENY_METADATA]},
            )
        ],
    ),
    Case(
        "hostNetwork ignores namespaced CNI policies",
        [],
        Reachability.REACHABLE,
        "the pods use the host network, which NetworkPolicy does not govern",
        cni=[cilium("c", CILIUM_DENY_METADATA)],
        host_network=True,
    ),
    Case(
        "hostNetwork is undecided under a Calico GlobalNetworkPolicy",
        [],
        Reachability.UNDECIDED,
        "the pods use the host network, which NetworkPolicy does not govern, but Calico GlobalNetworkPolicy g "
        "may allow or deny it and tokenlint cannot evaluate that",
        cni=[(ResourceRef("projectcalico.org/v3", "GlobalNetworkPolicy", None, "g"), {"spec": {}})],
        host_network=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_egress_verdict(case: Case) -> None:
    policies = [egress_policy(ref, body) for ref, body in case.policies]
    cni = [cni_policy(ref, body) for ref, body in case.cni]
    verdict = egress_verdict(
        case.labels, NS, policies, cni, case.address, case.port, case.protocol, host_network=case.host_network
    )
    assert (verdict.reach, verdict.reason) == (case.reach, case.reason)


def test_the_verdict_points_at_the_deciding_rule() -> None:
    ref, body = np("p", egress(to_cidr("10.0.0.0/8"), to_cidr("0.0.0.0/0")))
    verdict = egress_verdict(WEB, NS, [egress_policy(ref, body)], [], V4)
    assert (verdict.policy, verdict.path) == (ref, ("spec", "egress", 1))


def test_a_cilium_deny_points_at_its_rule() -> None:
    ref, body = cilium("c", CILIUM_DENY_METADATA)
    verdict = egress_verdict(WEB, NS, [], [cni_policy(ref, body)], V4)
    assert (verdict.policy, verdict.path) == (ref, ("spec", "egressDeny", 0))


PROBLEMS = [
    ("valid", egress(to_cidr("0.0.0.0/0", "10.0.0.0/8", ports=[{"port": 1, "endPort": 80}])), ()),
    (
        "invalid podSelector",
        egress(selector={"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}),
        ("spec.podSelector.matchExpressions[0].values: may not be specified when operator is Exists",),
    ),
    (
        "unknown policy type",
        {"podSelector": {}, "policyTypes": ["egress"]},
        ("spec.policyTypes: 'egress' is not one of Ingress, Egress",),
    ),
    ("empty peer", egress({"to": [{}]}), ("spec.egress[0].to[0]: must specify a peer",)),
    (
        "ipBlock with a selector",
        egress({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}, "podSelector": {}}]}),
        ("spec.egress[0].to[0]: may not specify both ipBlock and another peer",),
    ),
    (
        "invalid peer selector",
        egress({"to": [{"namespaceSelector": {"matchLabels": {"a": 1}}}]}),
        ("spec.egress[0].to[0].namespaceSelector.matchLabels.a: a label value must be a string (quote it)",),
    ),
    (
        "except outside cidr",
        egress(to_cidr("10.0.0.0/8", "169.254.0.0/16")),
        ("spec.egress[0].to[0].ipBlock.except[0]: '169.254.0.0/16' must be a CIDR strictly inside 10.0.0.0/8",),
    ),
    (
        "except of the other family",
        egress(to_cidr("0.0.0.0/0", "fd00::/8")),
        ("spec.egress[0].to[0].ipBlock.except[0]: 'fd00::/8' must be a CIDR strictly inside 0.0.0.0/0",),
    ),
    (
        "except equal to cidr",
        egress(to_cidr("10.0.0.0/8", "10.0.0.0/8")),
        ("spec.egress[0].to[0].ipBlock.except[0]: '10.0.0.0/8' must be a CIDR strictly inside 10.0.0.0/8",),
    ),
    (
        "unknown protocol",
        egress({"ports": [{"port": 80, "protocol": "tcp"}]}),
        ("spec.egress[0].ports[0].protocol: 'tcp' is not one of TCP, UDP, SCTP",),
    ),
    (
        "quoted number is not a port name",
        egress({"ports": [{"port": "80"}]}),
        ("spec.egress[0].ports[0].port: '80' is neither a number nor a valid port name",),
    ),
    (
        "port out of range",
        egress({"ports": [{"port": 0}]}),
        ("spec.egress[0].ports[0].port: 0 is not a port number (1-65535)",),
    ),
    (
        "endPort without port",
        egress({"ports": [{"endPort": 90}]}),
        ("spec.egress[0].ports[0].endPort: may not be set without port",),
    ),
    (
        "endPort with a named port",
        egress({"ports": [{"port": "http", "endPort": 90}]}),
        ("spec.egress[0].ports[0].endPort: may not be set with a named port",),
    ),
    (
        "endPort below port",
        egress({"ports": [{"port": 90, "endPort": 80}]}),
        ("spec.egress[0].ports[0].endPort: 80 must be a port >= 90",),
    ),
]


@pytest.mark.parametrize(("spec", "expected"), [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS])
def test_policy_problems(spec: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert egress_policy(*np("p", spec)).problems == expected


MALFORMED = [
    (
        "policyTypes not a list is unset",
        {"podSelector": {}, "policyTypes": 1, "egress": [to_cidr("10.0.0.0/8")]},
        Reachability.BLOCKED,
    ),
    (
        "a null egress entry is the allow-all rule",
        {"podSelector": {}, "policyTypes": ["Egress"], "egress": [None]},
        Reachability.REACHABLE,
    ),
    ("a null peer is rejected", egress({"to": [None]}), Reachability.REACHABLE),
    ("a null ipBlock is no peer", egress({"to": [{"ipBlock": None}]}), Reachability.REACHABLE),
    (
        "a null except excludes nothing",
        egress({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": None}}]}),
        Reachability.REACHABLE,
    ),
    ("a null port entry is every TCP port", egress({"ports": [None]}), Reachability.REACHABLE),
    ("a float port is rejected", egress({"ports": [{"port": 80.0}]}), Reachability.REACHABLE),
    (
        "a selector that is not a mapping is rejected",
        {"podSelector": ["app"], "policyTypes": ["Egress"]},
        Reachability.REACHABLE,
    ),
]


@pytest.mark.parametrize(("spec", "reach"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_wrong_types_are_read_leniently(spec: dict[str, Any], reach: Reachability) -> None:
    """shape.py reports these as input errors; the evaluation must still answer, not crash."""
    assert egress_verdict(WEB, NS, [egress_policy(*np("p", spec))], [], V4).reach is reach
