"""who-can answers from files with the RBAC authorizer's rules, on manifests, charts and dumps."""

from __future__ import annotations

import pytest

from tokenlint.inputs.discover import discover
from tokenlint.report.whocanview import Request, WhoCanView, collect
from tokenlint.resources.resource import FileOrigin, Stream

pytestmark = pytest.mark.usefixtures("at_root")

BINDINGS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
  - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
  - {apiGroups: [""], resources: [secrets], verbs: [get, create], resourceNames: [tls]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debug, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects:
  - {kind: User, name: "system:serviceaccount:shop:api"}
  - {kind: Group, name: "system:serviceaccounts:ops"}
  - {kind: User, name: alice@example.com}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debug, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: debugger}
subjects: [{kind: Group, name: "system:serviceaccounts:ops"}]
---
apiVersion: v1
kind: Pod
metadata: {name: runner, namespace: ops}
spec:
  containers: [{name: c, image: "runner:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  serviceAccountName: api
  automountServiceAccountToken: false
  containers: [{name: c, image: "api:1"}]
"""


def ask(verb: str, resource: str, namespace: str | None = None, text: str = BINDINGS) -> WhoCanView:
    return collect([Stream(FileOrigin("rbac.yaml"), text.encode())], Request.parse(verb, resource, namespace))


def held(view: WhoCanView) -> list[tuple[str, list[str], list[str]]]:
    return [
        (h.display(), [f"{v.binding} {v.rule} {v.where}" for v in h.via], [c.display() for c in h.carriers])
        for h in view.holders
    ]


@pytest.mark.parametrize(
    ("text", "group", "resource"),
    [
        ("pods/exec", "", "pods/exec"),
        ("deployments", "apps", "deployments"),
        ("Deployments.apps/scale", "apps", "deployments/scale"),
        ("widgets.acme.example", "acme.example", "widgets"),
        ("deployments.extensions", "extensions", "deployments"),
    ],
)
def test_resources_are_spelled_as_kubectl_spells_them(text: str, group: str, resource: str) -> None:
    request = Request.parse("get", text, None)
    assert (request.group, request.resource) == (group, resource)


@pytest.mark.parametrize("text", ["", "pods/", "/exec"])
def test_a_malformed_resource_is_a_usage_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a resource"):
        Request.parse("get", text, None)


def test_subjects_in_every_namespace_with_the_workloads_that_carry_their_tokens() -> None:
    # The User form of an account is that account; a group of a namespace is every account
    # of it, so the ops pod (default account, token mounted) carries one of its tokens. The
    # api pod turns its mount off: no carrier.
    assert held(ask("create", "pods/exec")) == [
        ("ServiceAccount shop/api", ["RoleBinding shop/debug rules[0] in namespace shop"], []),
        ("User alice@example.com", ["RoleBinding shop/debug rules[0] in namespace shop"], []),
        (
            "Group system:serviceaccounts:ops",
            ["RoleBinding shop/debug rules[0] in namespace shop", "RoleBinding ops/debug rules[0] in namespace ops"],
            ["Pod ops/runner"],
        ),
    ]


def test_the_namespace_of_the_request_keeps_only_the_bindings_that_grant_there() -> None:
    assert [h.display() for h in ask("create", "pods/exec", "ops").holders] == ["Group system:serviceaccounts:ops"]
    assert ask("create", "pods/exec", "payments").holders == ()


def test_a_role_binding_never_authorizes_a_cluster_scoped_resource() -> None:
    assert ask("get", "nodes/proxy").holders == ()
    cluster = BINDINGS.replace(
        "kind: RoleBinding\nmetadata: {name: debug, namespace: ops}",
        "kind: ClusterRoleBinding\nmetadata: {name: debug}",
    )
    assert [(h, v) for h, v, _ in held(ask("get", "nodes/proxy", text=cluster))] == [
        ("Group system:serviceaccounts:ops", ["ClusterRoleBinding debug rules[1] cluster-wide"])
    ]


def test_resource_names_limit_a_grant_and_never_allow_create() -> None:
    view = ask("get", "secrets", "shop")
    assert [v.names for h in view.holders for v in h.via] == [("tls",), ("tls",), ("tls",)]
    assert ask("create", "secrets", "shop").holders == ()


def test_bootstrap_roles_resolve_and_a_dump_marks_kubernetes_own_bindings() -> None:
    view = collect(discover(["tests/dumps/cluster.yaml"]), Request.parse("get", "nodes/proxy", None))
    assert held(view) == [
        (
            "ServiceAccount kube-system/generic-garbage-collector",
            ["ClusterRoleBinding system:controller:generic-garbage-collector rules[0] cluster-wide"],
            [],
        ),
        (
            "ServiceAccount kube-system/namespace-controller",
            ["ClusterRoleBinding system:controller:namespace-controller rules[2] cluster-wide"],
            [],
        ),
        (
            "ServiceAccount monitoring/metrics-agent",
            ["ClusterRoleBinding metrics-agent-kubelet rules[2] cluster-wide"],
            ["DaemonSet monitoring/metrics-agent"],
        ),
        ("Group system:masters", ["ClusterRoleBinding cluster-admin rules[0] cluster-wide"], []),
    ]
    assert [v.own for h in view.holders for v in h.via] == [True, True, False, True]


def test_a_chart_is_rendered_and_answered_at_its_template_lines() -> None:
    view = collect(discover(["examples/charts/storefront"]), Request.parse("list", "secrets", None))
    assert [(h.display(), [v.location.path for v in h.via]) for h in view.holders] == [
        ("ServiceAccount default/release-name-storefront", ["examples/charts/storefront/templates/rbac.yaml"])
    ]
    assert [c.location.line for h in view.holders for c in h.carriers] == [17]
