"""TL005 metadata-egress: a workload whose pods can reach the cloud instance metadata endpoint.

The answer needs the workload and every NetworkPolicy of its namespace (plus any CNI
policy, namespaced or cluster-wide), which may live in other files, so the rule runs over
the bundle. A namespace's policies are compiled once, when the first of its workloads is
checked, so a run focused on a few namespaces compiles only theirs.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.netpol import (
    METADATA_ADDRESSES,
    METADATA_PORT,
    CniPolicy,
    EgressPolicy,
    IPAddress,
    Reachability,
    Verdict,
    cni_policy,
    deny_metadata_policy,
    egress_policy,
    egress_verdict,
)
from tokenlint.k8s.workloads import Workload
from tokenlint.model import AddResource, Fix, ResourceRef, Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside, plain_file

NAME = "metadata-egress"
DENY_POLICY_FILE = "deny-metadata-egress"
OPTION = "blocked-addresses"
GUARDED = "guarded-namespaces"
ENDPOINT = "metadata-endpoint"


@functools.cache
def _endpoint(address: IPAddress) -> str:
    """Formatted once per address: IPv6 formatting is costly and every finding names one."""
    return f"[{address}]:{METADATA_PORT}" if address.version == 6 else f"{address}:{METADATA_PORT}"


def _blocked(entries: Iterable[Any]) -> set[IPAddress]:
    """The option's addresses; the configuration schema already rejects anything else."""
    blocked = set()
    for entry in entries:
        try:
            blocked.add(ipaddress.ip_address(str(entry)))
        except ValueError:
            continue
    return blocked


def pod_labels(workload: Workload) -> dict[str, Any]:
    """The labels of the pods a workload makes: the metadata beside its pod spec.

    A Pod's own ``metadata.labels``; for templates ``template.metadata.labels`` (a
    CronJob's inside ``jobTemplate.spec``). The policy selects pods, never the controller.
    """
    labels = workload.resource.get((*workload.spec_path[:-1], "metadata", "labels"))
    return labels if isinstance(labels, dict) else {}


class Rule(BundleRule):
    """A pod that reaches the metadata endpoint can trade SSRF for the node's cloud credentials."""

    meta = RuleMeta(
        id="TL005",
        name=NAME,
        severity=Severity.HIGH,
        summary="pods can reach the instance metadata endpoint 169.254.169.254 / fd00:ec2::254 (no egress policy)",
        help_path=page_beside(__file__, NAME),
        options={
            OPTION: {
                "type": "array",
                "items": {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
                "default": [],
                "description": "Metadata addresses already blocked on every node (e.g. by an iptables rule or "
                "IMDSv2 hop limit); an endpoint listed here is not reported.",
            },
            GUARDED: {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Namespaces (names or shell patterns such as 'team-*') whose egress a default-deny "
                "NetworkPolicy applied outside the input guards (by the platform); findings that remain there say so.",
            },
            ENDPOINT: {
                "type": "boolean",
                "default": True,
                "description": "Whether the platform has an instance metadata endpoint; false (on-premises, or a "
                "platform that serves none to pods) turns the rule off.",
            },
        },
    )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        blocked = _blocked(ctx.options[OPTION] or ())
        addresses = [a for a in METADATA_ADDRESSES if a not in blocked]
        if not addresses or ctx.options[ENDPOINT] is False:
            return
        policies = _Policies(index, tuple(ctx.options[GUARDED] or ()))
        for workload in index.workloads:
            namespace = workload.resource.namespace or ""
            host_network = workload.spec.get("hostNetwork") is True
            labels = pod_labels(workload)
            core, cni = policies.of(namespace)
            verdicts: dict[Verdict, list[IPAddress]] = {}
            for address in addresses:
                verdict = egress_verdict(labels, namespace, core, cni, address, host_network=host_network)
                if verdict.reach is not Reachability.BLOCKED:
                    verdicts.setdefault(verdict, []).append(address)
            if verdicts:
                assumed = policies.assumed(namespace)
                related = [
                    ctx.related(policies.sources[v.policy], v.path, v.reason)
                    for v in verdicts
                    if v.policy in policies.sources
                ]
                ctx.report(
                    workload.resource,
                    workload.path("hostNetwork") if host_network else workload.spec_path,
                    _message(verdicts, host_network) + assumed,
                    severity=self.meta.severity if _reachable(verdicts) else Severity.LOW,
                    related=related,
                    fix=_fix(workload, core, verdicts, host_network),
                )


class _Policies:
    """The compiled policies that apply to each namespace, compiled on first use."""

    def __init__(self, index: BundleIndex, guarded: tuple[str, ...] = ()) -> None:
        self._index = index
        self._guarded = guarded
        self._compiled: dict[str, tuple[list[EgressPolicy], list[CniPolicy]]] = {}
        self.sources: dict[ResourceRef, Resource] = {}
        """The resource of every compiled policy, to point related locations at."""
        self._cluster_wide = self._cni(None)

    def of(self, namespace: str) -> tuple[list[EgressPolicy], list[CniPolicy]]:
        """The namespace's NetworkPolicies, and its CNI policies plus the cluster-wide ones."""
        found = self._compiled.get(namespace)
        if found is None:
            core = [egress_policy(_assumed_ref(namespace), _DEFAULT_DENY)] if self.guards(namespace) else []
            for resource in self._index.network_policies.get(namespace, ()):
                self.sources[resource.ref] = resource
                core.append(egress_policy(resource.ref, resource.body))
            found = self._compiled[namespace] = (core, self._cni(namespace) + self._cluster_wide)
        return found

    def guards(self, namespace: str) -> bool:
        """Whether the configuration says a default-deny egress policy outside the input guards ``namespace``."""
        return any(fnmatch.fnmatchcase(namespace, pattern) for pattern in self._guarded)

    def assumed(self, namespace: str) -> str:
        """What a finding in ``namespace`` took for granted, for its message."""
        if not self.guards(namespace):
            return ""
        return (
            f" (assumed: namespace {namespace} has a default-deny egress NetworkPolicy outside the input, per"
            f" {GUARDED}; policies add up, so what a policy of the input allows, or hostNetwork, still opens"
            " the endpoint)"
        )

    def _cni(self, namespace: str | None) -> list[CniPolicy]:
        compiled = []
        for resource in self._index.cni_policies.get(namespace, ()):
            self.sources[resource.ref] = resource
            compiled.append(cni_policy(resource.ref, resource.body))
        return compiled


_ASSUMED = "default-deny-egress (assumed)"
_DEFAULT_DENY = {"spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
"""The policy a guarded namespace is assumed to hold: every pod selected, no egress allowed."""


def _assumed_ref(namespace: str) -> ResourceRef:
    return ResourceRef("networking.k8s.io/v1", "NetworkPolicy", namespace, _ASSUMED)


def _fix(
    workload: Workload, core: list[EgressPolicy], verdicts: dict[Verdict, list[IPAddress]], host_network: bool
) -> Fix:
    """A namespace-wide policy that denies the endpoint, where adding one takes nothing else away.

    Policies add up: where some policy already isolates pods of the namespace for egress,
    a new allow-all-but-the-endpoint policy would widen what those pods may reach, so the
    existing policy must change instead, and that is a person's call.
    """
    if host_network:
        return Fix("not changed: NetworkPolicy does not govern hostNetwork pods; run them without it")
    if any(v.reach is not Reachability.REACHABLE for v in verdicts):
        return Fix("not changed: tokenlint cannot evaluate every policy that applies to these pods")
    isolating = [p.ref.display() for p in core if p.isolates_egress and p.ref.name != _ASSUMED]
    if isolating:
        return Fix(f"not changed: add an except for the endpoint to the egress rules of {', '.join(isolating)}")
    resource = workload.resource
    meta = resource.get(("metadata",))
    explicit = isinstance(meta, dict) and isinstance(meta.get("namespace"), str)
    namespace = resource.namespace if explicit else None
    addresses = [a for found in verdicts.values() for a in found]
    policy = deny_metadata_policy(namespace, addresses)
    near = plain_file(resource)
    comment = (
        "Written by tokenlint fix for TL005 (metadata-egress): pods of this namespace could reach the cloud\n"
        "instance metadata endpoint, which hands out the node's cloud credentials. This policy keeps every\n"
        "other destination allowed and denies only the endpoint. See tokenlint explain TL005."
    )
    key = f"{DENY_POLICY_FILE}-{resource.namespace}" if namespace else DENY_POLICY_FILE
    where = f"namespace {namespace}" if namespace else "the workloads' namespace"
    return Fix(f"add NetworkPolicy {policy['metadata']['name']} to {where}", (AddResource(key, policy, comment, near),))


def _reachable(verdicts: dict[Verdict, list[IPAddress]]) -> dict[Verdict, list[IPAddress]]:
    return {v: a for v, a in verdicts.items() if v.reach is Reachability.REACHABLE}


def _message(verdicts: dict[Verdict, list[IPAddress]], host_network: bool) -> str:
    """Which endpoints are open and why; undecided ones (CNI policies, named ports) apart."""
    reachable = _reachable(verdicts)
    undecided = {v: a for v, a in verdicts.items() if v.reach is Reachability.UNDECIDED}
    parts = []
    if reachable:
        parts.append(f"pods can reach the instance metadata endpoint {_clauses(reachable)}")
    if undecided:
        parts.append(f"tokenlint cannot tell whether pods reach the metadata endpoint {_clauses(undecided)}")
    if host_network:
        parts.append("run the pods without hostNetwork, or block the endpoint on the nodes")
    else:
        # Only the addresses still open: one in blocked-addresses needs no exclusion.
        open_addresses = sorted({a for addresses in verdicts.values() for a in addresses}, key=METADATA_ADDRESSES.index)
        excluded = " and ".join(map(str, open_addresses))
        parts.append(f"select the pods with an Egress NetworkPolicy that excludes {excluded}")
    return "; ".join(parts)


def _clauses(verdicts: dict[Verdict, list[IPAddress]]) -> str:
    return "; ".join(f"{' and '.join(map(_endpoint, addresses))} ({v.reason})" for v, addresses in verdicts.items())
