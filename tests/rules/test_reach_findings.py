"""What the fixtures cannot say: severities, messages and the order of TL201's chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenlint.engine.run import lint
from tokenlint.inputs.discover import discover
from tokenlint.model import Finding, Severity
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules

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
    assert high.message.endswith("it reaches 6 capabilities (TL101, TL102, TL103, TL105, TL106, TL112), see TL201")


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
    assert finding.severity is Severity.MEDIUM
    assert finding.message.endswith("which reaches no TL1xx capability but reads API objects")
    (critical,) = run("TL111", public.replace("name: view", "name: edit"))
    assert critical.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("role", "severity"),
    [
        # get on /api, /apis/*, /version, /healthz...: what every authenticated caller may read
        ("system:discovery", Severity.LOW),
        ("system:basic-user", Severity.LOW),
        # writes leases of kube-system, reads nodes: not a TL1xx capability, but objects
        ("system:kube-scheduler", Severity.HIGH),
        ("system:unknown-vendor-role", Severity.HIGH),
    ],
)
def test_tl111_severity_follows_what_the_public_grant_reaches(role: str, severity: Severity) -> None:
    public = binding("ClusterRole", f"'{role}'", kind="ClusterRoleBinding").replace(
        "{kind: ServiceAccount, name: api, namespace: shop}", "{kind: Group, name: 'system:authenticated'}"
    )
    (finding,) = run("TL111", public)
    assert finding.severity is severity


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
    assert bound.message.endswith("; the token reaches 6 capabilities (TL101, TL102, TL103, TL105, TL106, TL112)")


def _role(*rules: str) -> str:
    body = "".join(f"\n  - {r}" for r in rules)
    return (
        f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: shop}}\nrules:{body}\n"
    )


@pytest.mark.parametrize(
    ("rules", "bound", "severity", "note"),
    [
        ('{apiGroups: [""], resources: [pods], verbs: ["*"]}', True, Severity.HIGH, ""),
        ('{apiGroups: [""], resources: [pods], verbs: ["*"]}', False, Severity.LOW, "no binding in this bundle"),
        # a kubebuilder admin role: every verb on the project's own custom resources
        ("{apiGroups: [webapp.acme.example], resources: [guestbooks], verbs: ['*']}", True, Severity.LOW, "custom"),
        ("{apiGroups: [webapp.acme.example, apps], resources: [deployments], verbs: ['*']}", True, Severity.HIGH, ""),
    ],
)
def test_tl003_weighs_unbound_roles_and_custom_resources(
    rules: str, bound: bool, severity: Severity, note: str
) -> None:
    (finding,) = run("TL003", _role(rules) + (binding("Role", "r") if bound else ""))
    assert finding.severity is severity
    assert note in finding.message


@pytest.mark.parametrize(
    ("rule", "severity", "says"),
    [
        ("{apiGroups: [webapp.acme.example], resources: ['*'], verbs: [get]}", Severity.LOW, "custom resources"),
        ("{nonResourceURLs: ['/apis/*', /version], verbs: [get]}", Severity.LOW, "read-only paths"),
        ("{nonResourceURLs: ['/apis/*'], verbs: [get, post]}", Severity.HIGH, "every path below /apis/"),
        ("{nonResourceURLs: ['/*'], verbs: [get]}", Severity.HIGH, "every path below /"),
        ("{nonResourceURLs: ['/metrics*'], verbs: [get]}", Severity.HIGH, "every path below /metrics"),
    ],
)
def test_tl004_weighs_custom_groups_and_read_only_paths(rule: str, severity: Severity, says: str) -> None:
    role = f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules:\n  - {rule}\n"
    (finding,) = run("TL004", role + binding("ClusterRole", "r", kind="ClusterRoleBinding"))
    assert (finding.severity, says in finding.message) == (severity, True)


@pytest.mark.parametrize(
    ("verbs", "severity", "bounded"),
    [
        ("[create, update]", Severity.MEDIUM, True),
        ("[create, bind]", Severity.CRITICAL, False),
        ("[escalate]", Severity.CRITICAL, False),
        ('["*"]', Severity.CRITICAL, False),
    ],
)
def test_tl104_without_bind_or_escalate_is_bounded_by_escalation_prevention(
    verbs: str, severity: Severity, bounded: bool
) -> None:
    role = _role(f"{{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: {verbs}}}")
    (finding,) = run("TL104", role + binding("Role", "r"))
    assert finding.severity is severity
    assert ("escalation prevention limits it to permissions the token already holds" in finding.message) is bounded


@pytest.mark.parametrize(
    ("rules", "severity"),
    [
        # the same role reads secrets (the token) or creates pods (that mount the Secret)
        (['{apiGroups: [""], resources: [secrets], verbs: [create, get]}'], Severity.HIGH),
        (
            [
                '{apiGroups: [""], resources: [secrets], verbs: [create]}',
                '{apiGroups: [""], resources: [pods], verbs: [create]}',
            ],
            Severity.HIGH,
        ),
        (['{apiGroups: [""], resources: [secrets], verbs: [create]}'], Severity.MEDIUM),
    ],
)
def test_tl112_weighs_whether_the_minted_token_can_be_read(rules: list[str], severity: Severity) -> None:
    (finding,) = run("TL112", _role(*rules) + binding("Role", "r"))
    assert finding.severity is severity
    assert "filled by the token controller with a token of that account that never expires" in finding.message


def test_tl201_follows_token_minting_through_secrets() -> None:
    role = _role('{apiGroups: [""], resources: [secrets], verbs: [create]}')
    (finding,) = run("TL201", POD + "---\n" + role + binding("Role", "r"))
    assert "(TL112)" in finding.message


def test_tl102_counts_the_extensions_group_of_old_clusters() -> None:
    role = _role("{apiGroups: [extensions], resources: [deployments], verbs: [create]}")
    (finding,) = run("TL102", role + binding("Role", "r"))
    assert finding.message.startswith("rules[0] lets a token create pods: it allows create on deployments")


def test_tl201_says_when_its_worst_path_is_bounded_by_escalation_prevention() -> None:
    role = _role("{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}")
    (finding,) = run("TL201", POD + "---\n" + role + binding("Role", "r"))
    assert finding.severity is Severity.MEDIUM
    assert "which can write roles and bindings (without bind or escalate: only with permissions it already holds)" in (
        finding.message
    )


def test_tl003_judges_every_copy_of_a_role_written_twice() -> None:
    role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n"
    text = role + "  - {apiGroups: [''], resources: [pods], verbs: ['*']}\n---\n" + role
    text += "  - {apiGroups: [''], resources: [configmaps], verbs: ['*']}\n"
    assert [f.location.line for f in run("TL003", text)] == [5, 11]
