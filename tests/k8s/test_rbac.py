"""Role resolution, matching and reach, one RBAC rule of the API server per case."""

from __future__ import annotations

import pytest

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.rbac import POD_EXEC, SECRETS_READ, WORKLOAD_CREATE, PolicyRule, grants, resource_matches
from tokenlint.k8s.reach import Reach, Reaches, reach_of, subjects
from tokenlint.resources.resource import FileOrigin, Resource, resources_of
from tokenlint.yaml.reader import parse_stream


def load(text: str) -> list[Resource]:
    documents, errors = parse_stream(text.encode())
    assert not errors
    return [r for doc in documents for r in resources_of(doc, FileOrigin("t.yaml"), "default")]


def reach(text: str) -> Reach:
    return Reach(BundleIndex.build(load(text)))


def rule(groups: str, resources: str, verbs: str, names: str = "") -> PolicyRule:
    return PolicyRule(
        frozenset(groups.split(",")),
        frozenset(resources.split()),
        frozenset(verbs.split()),
        tuple(names.split()),
        None,
        0,
    )


@pytest.mark.parametrize(
    ("entries", "resource", "expected"),
    [
        ("*", "pods/exec", True),
        ("pods", "pods/exec", False),
        ("pods/*", "pods/exec", False),
        ("*/exec", "pods/exec", True),
        ("*/exec", "pods", False),
        ("*/*", "pods/exec", False),
        ("pods/exec", "pods/exec", True),
        ("cronjob", "cronjobs", False),
    ],
)
def test_resource_matches_like_the_authorizer(entries: str, resource: str, expected: bool) -> None:
    assert resource_matches(entries.split(), resource) is expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (rule("", "secrets", "get"), {"TL101"}),
        (rule("*", "secrets", "list"), {"TL101"}),
        (rule("apps", "secrets", "get"), set()),
        (rule("", "pods/exec", "get"), {"TL103"}),
        (rule("", "pods/exec", "list"), set()),
        (rule("", "pods", "create", names="debug"), set()),
        (rule("", "pods/exec", "create", names="debug"), {"TL103"}),
        (rule("", "nodes/proxy", "*"), {"TL107"}),
        (rule("rbac.authorization.k8s.io", "clusterroles", "bind"), {"TL104"}),
    ],
    ids=str,
)
def test_grants_of_one_rule(policy: PolicyRule, expected: set[str]) -> None:
    assert {g.capability.id for g in grants(policy)} == expected


def test_a_rule_limited_by_resource_names_says_so() -> None:
    (grant,) = grants(rule("", "secrets", "get", names="tls"))
    assert grant.describe() == "get on secrets (only resourceNames tls)"


BINDINGS = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
  - {kind: ServiceAccount, name: api, namespace: shop}
  - {kind: ServiceAccount, name: nowhere}
  - {kind: User, name: "system:serviceaccount:ci:builder"}
  - {kind: User, name: "system:serviceaccount:broken"}
  - {kind: Group, name: "system:serviceaccounts:shop"}
  - {kind: Group, name: "system:serviceaccounts"}
  - {kind: Group, name: "system:authenticated"}
  - {kind: Group, name: "system:unauthenticated"}
  - {kind: User, name: "system:anonymous"}
  - {kind: Group, name: "system:masters"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: local, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
  - {kind: ServiceAccount, name: worker}
"""


def test_every_subject_form_is_decoded() -> None:
    crb, rb = (r for r in load(BINDINGS))
    decoded = [(s.reaches, s.namespace) for s in subjects(crb)]
    assert decoded == [
        (Reaches.ACCOUNT, "shop"),
        (Reaches.OTHER, None),  # a ClusterRoleBinding has no namespace to default to
        (Reaches.ACCOUNT, "ci"),
        (Reaches.OTHER, None),
        (Reaches.NAMESPACE, "shop"),
        (Reaches.ALL_ACCOUNTS, None),
        (Reaches.ALL_ACCOUNTS, None),
        (Reaches.PUBLIC, None),
        (Reaches.PUBLIC, None),
        (Reaches.OTHER, None),
    ]
    # A RoleBinding's ServiceAccount subject defaults to the binding's namespace.
    assert [(s.reaches, s.namespace) for s in subjects(rb)] == [(Reaches.ACCOUNT, "shop")]


def test_bindings_are_found_by_account_namespace_group_and_everyone() -> None:
    r = reach(BINDINGS)
    names = [b.subject.name for b in r.bindings_of(("shop", "api"))]
    assert names == ["api", "system:serviceaccounts:shop", "system:serviceaccounts", "system:authenticated"]
    assert next(b.subject.name for b in r.bindings_of(("ci", "builder"))) == "system:serviceaccount:ci:builder"
    assert [b.subject.name for b in r.bindings_of(("other", "api"))] == [
        "system:serviceaccounts",
        "system:authenticated",
    ]


ROLES = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: api}]
---
# Same role name in another namespace: a Role is looked up in the binding's namespace only.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: api}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-proxy}
rules:
  - {apiGroups: [""], resources: [nodes/proxy, pods/exec], verbs: [get]}
---
# A RoleBinding to a ClusterRole grants inside its namespace only, and never
# cluster-scoped resources such as nodes.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: proxy, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-proxy}
subjects: [{kind: ServiceAccount, name: api}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: mystery, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: not-here}
subjects: [{kind: ServiceAccount, name: api}]
"""


def test_roles_pair_with_bindings_in_their_own_namespace() -> None:
    r = reach(ROLES)
    shop = r.of_account(("shop", "api"))
    assert [(p.grant.capability.id, p.binding.scope, p.binding.resource.name) for p in shop.paths] == [
        ("TL101", "shop", "reader"),
        ("TL103", "shop", "proxy"),
    ]
    assert [b.role.name for b in shop.unknown] == ["not-here"]
    web = r.of_account(("web", "api"))
    assert web.paths == ()
    assert [b.role.known for b in web.unknown] == [False]


AGGREGATION = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {example.com/aggregate-to-monitoring: "true"}
    - matchExpressions:
        - {key: example.com/tier, operator: In, values: [ops]}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secrets-part
  labels: {example.com/aggregate-to-monitoring: "true"}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: exec-part
  labels: {example.com/tier: ops}
rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: unrelated
  labels: {example.com/tier: web}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [create]}
---
# Extends the built-in edit role through its aggregation label.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit-nodes
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
  - {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}
"""


def test_aggregated_cluster_roles_take_the_rules_their_selectors_match() -> None:
    r = reach(AGGREGATION)
    monitoring = r.roles.role("ClusterRole", None, "monitoring")
    assert monitoring.aggregated
    assert {(g.capability.id, g.rule.origin.name if g.rule.origin else None) for g in monitoring.grants} == {
        ("TL101", "secrets-part"),
        ("TL103", "exec-part"),
    }
    assert monitoring.origins == {("ClusterRole", None, "secrets-part"), ("ClusterRole", None, "exec-part")}


def test_built_in_roles_aggregate_labelled_roles_and_each_other() -> None:
    r = reach(AGGREGATION)
    admin = r.roles.role("ClusterRole", "shop", "admin")
    assert admin.builtin
    assert admin.known
    found = {g.capability.id for g in admin.grants}
    assert {"TL101", "TL102", "TL103", "TL104", "TL105", "TL106", "TL107"} <= found
    view = r.roles.role("ClusterRole", None, "view")
    assert {g.capability.id for g in view.grants} == set()
    assert r.roles.role("ClusterRole", None, "cluster-admin").full_wildcard


@pytest.mark.parametrize("capability", [SECRETS_READ, WORKLOAD_CREATE, POD_EXEC], ids=lambda c: c.id)
def test_edit_is_modelled_faithfully(capability: object) -> None:
    edit = reach("").roles.role("ClusterRole", None, "edit")
    assert capability in {g.capability for g in edit.grants}


def test_reach_is_built_once_per_index() -> None:
    index = BundleIndex.build(load(ROLES))
    assert reach_of(index) is reach_of(index)
    assert reach_of(index).of_account(("shop", "api")) is reach_of(index).of_account(("shop", "api"))


def test_bindings_of_role_count_each_binding_once_and_follow_aggregation() -> None:
    text = (
        AGGREGATION
        + """
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects:
  - {kind: ServiceAccount, name: prometheus, namespace: monitoring}
  - {kind: ServiceAccount, name: grafana, namespace: monitoring}
"""
    )
    resources = load(text)
    r = Reach(BundleIndex.build(resources))
    by_name = {x.name: x for x in resources}
    assert [b.resource.name for b in r.bindings_of_role(by_name["secrets-part"])] == ["monitoring"]
    assert r.bindings_of_role(by_name["unrelated"]) == []
