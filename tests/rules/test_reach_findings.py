"""What the fixtures cannot say: severities, messages and the order of TL201's chain."""

from __future__ import annotations

from pathlib import Path

from tokenlint.engine import lint
from tokenlint.model import Finding, Severity
from tokenlint.registry import load_rules
from tokenlint.resources import FileOrigin, Stream
from tokenlint.sources import discover

HERE = Path(__file__).parent


def run(rule: str, text: str) -> list[Finding]:
    return lint([Stream(FileOrigin("t.yaml"), text.encode())], load_rules().select([rule])).findings


POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  serviceAccountName: api
  containers: [{name: c, image: x}]
"""


def binding(role_kind: str, role: str, kind: str = "RoleBinding") -> str:
    where = "\n  namespace: shop" if kind == "RoleBinding" else ""
    return f"""---
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: b{where}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}
subjects: [{{kind: ServiceAccount, name: api, namespace: shop}}]
"""


def test_tl001_says_what_the_token_is_worth() -> None:
    (nothing,) = run("TL001", POD)
    assert nothing.severity is Severity.LOW
    assert nothing.message.endswith("it grants nothing in this bundle: disable the mount")
    (unknown,) = run("TL001", POD + binding("ClusterRole", "vendor"))
    assert unknown.severity is Severity.MEDIUM
    assert unknown.message.endswith("it is bound to ClusterRole vendor, not in the input: what it grants is unknown")
    (high,) = run("TL001", POD + binding("ClusterRole", "edit"))
    assert high.severity is Severity.HIGH
    assert high.message.endswith("it reaches 5 capabilities (TL101, TL102, TL103, TL105, TL106), see TL201")


def test_tl201_severity_follows_the_scope() -> None:
    (namespaced,) = run("TL201", POD + binding("ClusterRole", "edit"))
    assert namespaced.severity is Severity.HIGH
    (cluster,) = run(
        "TL201",
        POD
        + binding("ClusterRole", "view", kind="ClusterRoleBinding")
        + binding("ClusterRole", "cluster-admin", kind="ClusterRoleBinding"),
    )
    assert cluster.severity is Severity.CRITICAL


def test_tl201_carries_the_chain_in_order_across_three_files() -> None:
    folder = HERE / "TL201" / "fail-three-files"
    (finding,) = lint(discover([str(folder)]), load_rules().select(["TL201"])).findings
    assert finding.chain
    steps = [(Path(r.location.path).name, r.location.line, r.message) for r in finding.related]
    assert steps == [
        (
            "deployment.yaml",
            14,
            "Deployment api: its pods get the token: ServiceAccount shop/api is not in the input,"
            " and Kubernetes mounts by default",
        ),
        (
            "binding.yaml",
            10,
            "ClusterRoleBinding api-reads-secrets binds ClusterRole secret-reader cluster-wide"
            " to ServiceAccount shop/api",
        ),
        ("role.yaml", 4, "ClusterRole secret-reader"),
        (
            "role.yaml",
            9,
            "ClusterRole secret-reader rules[1] allows get, list on secrets: TL101 read secrets, cluster-wide",
        ),
    ]
    assert dict(finding.properties) == {"capabilities": "TL101", "scope": "cluster"}


def test_capability_rules_lower_severity_for_unbound_and_named_rules() -> None:
    role = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
  - {apiGroups: [""], resources: [secrets], resourceNames: [tls], verbs: [get]}
"""
    assert [f.severity for f in run("TL101", role)] == [Severity.LOW, Severity.LOW]
    bound = run("TL101", role + binding("Role", "r"))
    assert [f.severity for f in bound] == [Severity.HIGH, Severity.MEDIUM]
    assert bound[1].message == (
        "rules[1] lets a token read secrets: it allows get on secrets (only resourceNames tls);"
        " bound in namespace shop by RoleBinding shop/b"
    )


def test_tl110_and_tl111_severity_follow_scope_and_power() -> None:
    (namespaced,) = run("TL110", binding("ClusterRole", "cluster-admin"))
    assert namespaced.severity is Severity.HIGH
    public = binding("ClusterRole", "view", kind="ClusterRoleBinding").replace(
        "{kind: ServiceAccount, name: api, namespace: shop}", "{kind: Group, name: 'system:authenticated'}"
    )
    (finding,) = run("TL111", public)
    assert finding.severity is Severity.HIGH
    (critical,) = run("TL111", public.replace("name: view", "name: edit"))
    assert critical.severity is Severity.CRITICAL


def test_tl002_says_what_the_legacy_token_reaches() -> None:
    secret = """apiVersion: v1
kind: Secret
metadata:
  name: api-token
  namespace: shop
  annotations: {kubernetes.io/service-account.name: api}
type: kubernetes.io/service-account-token
"""
    (alone,) = run("TL002", secret)
    assert alone.message.endswith("; the token grants nothing in this bundle")
    (bound,) = run("TL002", secret + binding("ClusterRole", "edit"))
    assert bound.message.endswith("; the token reaches 5 capabilities (TL101, TL102, TL103, TL105, TL106)")
