"""TL005's messages, severities, related locations and ``blocked-addresses`` option.

The fixtures in tests/rules/TL005 pin which workloads are reported on which line; these
tests pin what the finding says.
"""

from __future__ import annotations

from typing import Any

from tokenlint.engine.run import LintOptions, lint
from tokenlint.model import Finding
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: api:1
"""
ALLOW_V6 = """\
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: v6
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock: {cidr: "::/0"}
"""
CILIUM = """\
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: dns
  namespace: shop
spec:
  endpointSelector: {}
"""
FIX = "select the pods with an Egress NetworkPolicy that excludes 169.254.169.254 and fd00:ec2::254"


def findings(text: str, options: dict[str, Any] | None = None) -> list[Finding]:
    rules = load_rules().select(["TL005"])
    result = lint(
        [Stream(FileOrigin("bundle.yaml"), text.encode())],
        rules,
        LintOptions(rule_options={"TL005": options or {}}),
    )
    assert not result.errors
    return result.findings


def test_no_policy_names_both_endpoints_with_high_severity() -> None:
    [finding] = findings(DEPLOYMENT)
    assert (finding.location.line, finding.severity.label, finding.message) == (
        10,
        "high",
        "pods can reach the instance metadata endpoint 169.254.169.254:80 and [fd00:ec2::254]:80 "
        f"(no NetworkPolicy with Egress selects the pods); {FIX}",
    )
    assert finding.related == ()


def test_different_reasons_are_told_apart_and_the_policy_is_related() -> None:
    [finding] = findings(DEPLOYMENT + ALLOW_V6)
    assert finding.message == (
        "pods can reach the instance metadata endpoint [fd00:ec2::254]:80 "
        "(NetworkPolicy shop/v6 allows ::/0 on all ports); "
        "select the pods with an Egress NetworkPolicy that excludes fd00:ec2::254"  # 169.254.169.254 is closed
    )
    [related] = finding.related
    assert (related.message, related.location.line) == ("NetworkPolicy shop/v6 allows ::/0 on all ports", 24)


def test_an_undecided_verdict_is_low_and_names_the_cni_policy() -> None:
    [finding] = findings(DEPLOYMENT + CILIUM)
    assert (finding.severity.label, finding.message) == (
        "low",
        "tokenlint cannot tell whether pods reach the metadata endpoint 169.254.169.254:80 and [fd00:ec2::254]:80 "
        "(no NetworkPolicy with Egress selects the pods, but CiliumNetworkPolicy shop/dns may allow or deny it "
        f"and tokenlint cannot evaluate that); {FIX}",
    )


def test_a_reachable_endpoint_beside_an_undecided_one_is_high_and_tells_both() -> None:
    policy = (
        ALLOW_V6.replace("::/0", "0.0.0.0/0")
        + '    - to:\n        - ipBlock: {cidr: "::/0"}\n      ports: [{port: http}]\n'
    )
    [finding] = findings(DEPLOYMENT + policy)
    assert (finding.severity.label, finding.message) == (
        "high",
        "pods can reach the instance metadata endpoint 169.254.169.254:80 "
        "(NetworkPolicy shop/v6 allows 0.0.0.0/0 on all ports); "
        "tokenlint cannot tell whether pods reach the metadata endpoint [fd00:ec2::254]:80 "
        "(NetworkPolicy shop/v6 allows ::/0 on TCP port named 'http', which cannot be resolved to a number here); "
        f"{FIX}",
    )
    assert [r.location.line for r in finding.related] == [24, 26]


def test_host_network_is_reported_on_the_field_with_its_own_fix() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\nspec:\n  hostNetwork: true\n  containers: []\n"
    [finding] = findings(pod)
    assert (finding.location.line, finding.message) == (
        6,
        "pods can reach the instance metadata endpoint 169.254.169.254:80 and [fd00:ec2::254]:80 "
        "(the pods use the host network, which NetworkPolicy does not govern); "
        "run the pods without hostNetwork, or block the endpoint on the nodes",
    )


def test_an_address_blocked_on_the_nodes_is_not_reported() -> None:
    [finding] = findings(DEPLOYMENT, {"blocked-addresses": ["169.254.169.254"]})
    assert finding.message.startswith("pods can reach the instance metadata endpoint [fd00:ec2::254]:80 (")
    # and the advice does not ask to exclude the address already blocked
    assert finding.message.endswith("; select the pods with an Egress NetworkPolicy that excludes fd00:ec2::254")


def test_both_addresses_blocked_on_the_nodes_report_nothing() -> None:
    assert findings(DEPLOYMENT, {"blocked-addresses": ["169.254.169.254", "fd00:ec2:0::254"]}) == []


def test_a_namespace_guarded_outside_the_input_is_assumed_default_deny() -> None:
    assert findings(DEPLOYMENT, {"guarded-namespaces": ["sh*"]}) == []
    assert len(findings(DEPLOYMENT, {"guarded-namespaces": ["payments"]})) == 1


def test_what_the_input_allows_in_a_guarded_namespace_is_still_reported_with_the_assumption() -> None:
    # NetworkPolicies add up: the assumed default deny does not take back what v6 allows.
    [finding] = findings(DEPLOYMENT + ALLOW_V6, {"guarded-namespaces": ["shop"]})
    assert finding.message.startswith("pods can reach the instance metadata endpoint [fd00:ec2::254]:80 (")
    assert finding.message.endswith(
        " (assumed: namespace shop has a default-deny egress NetworkPolicy outside the input, per guarded-namespaces;"
        " policies add up, so what a policy of the input allows, or hostNetwork, still opens the endpoint)"
    )


def test_host_network_pods_of_a_guarded_namespace_are_still_reported() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  namespace: shop\nspec:\n  hostNetwork: true\n"
    [finding] = findings(pod + "  containers: []\n", {"guarded-namespaces": ["shop"]})
    assert "assumed: namespace shop" in finding.message


def test_a_platform_without_a_metadata_endpoint_reports_nothing() -> None:
    assert findings(DEPLOYMENT, {"metadata-endpoint": False}) == []
