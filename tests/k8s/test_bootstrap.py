"""Kubernetes' bootstrap policy: every role known by name, and the objects Kubernetes owns."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from helpers import resources_in

from tokenlint.k8s import bootstrap
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.reach import Reach

ROOT = Path(__file__).resolve().parents[2]
POLICY = Path(os.environ.get("TOKENLINT_BOOTSTRAP_POLICY", ROOT.parent / "shared" / "k8s-bootstrap-policy"))


load = resources_in


def reach(text: str) -> Reach:
    return Reach(BundleIndex.build(load(text)))


def test_the_data_states_its_kubernetes_version() -> None:
    assert bootstrap.kubernetes_version() == "1.34"


@pytest.mark.parametrize(
    ("kind", "namespace", "name", "capabilities"),
    [
        ("ClusterRole", None, "system:auth-delegator", set()),
        ("ClusterRole", None, "system:discovery", set()),
        # get on secrets, and create serviceaccounts/token (the kubelet asks for pods' tokens)
        ("ClusterRole", None, "system:node", {"TL101", "TL106"}),
        # escalate on clusterroles: it writes the aggregated roles' rules
        ("ClusterRole", None, "system:controller:clusterrole-aggregation-controller", {"TL104"}),
        ("Role", "kube-system", "extension-apiserver-authentication-reader", set()),
        ("Role", "kube-system", "system:controller:token-cleaner", {"TL101"}),
    ],
)
def test_bindings_to_bootstrap_roles_resolve(
    kind: str, namespace: str | None, name: str, capabilities: set[str]
) -> None:
    role = reach("").roles.role(kind, namespace, name)
    assert role.known
    assert role.builtin
    assert role.rules
    assert {g.capability.id for g in role.grants} >= capabilities


def test_a_bootstrap_role_is_only_known_in_its_own_namespace() -> None:
    assert not reach("").roles.role("Role", "shop", "extension-apiserver-authentication-reader").known


def test_admin_edit_and_view_are_built_by_aggregation() -> None:
    roles = reach("").roles
    view = roles.role("ClusterRole", None, "view")
    edit = roles.role("ClusterRole", None, "edit")
    admin = roles.role("ClusterRole", None, "admin")
    assert view.aggregated
    assert edit.aggregated
    assert {g.capability.id for g in view.grants} == set()
    # edit holds view's rules plus its own; admin holds edit's plus rolebindings and roles.
    assert len(view.rules) < len(edit.rules) < len(admin.rules)
    assert {"TL101", "TL102", "TL103", "TL105", "TL106"} <= {g.capability.id for g in edit.grants}
    assert "TL104" in {g.capability.id for g in admin.grants}
    assert "TL104" not in {g.capability.id for g in edit.grants}


def test_a_role_of_the_input_extends_view_through_its_label() -> None:
    text = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: crd-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [list]}
"""
    roles = reach(text).roles
    for name in ("view", "edit", "admin"):
        assert "TL101" in {g.capability.id for g in roles.role("ClusterRole", None, name).grants}


@pytest.mark.skipif(not POLICY.is_dir(), reason="the bootstrap-policy folder is not beside the repository")
def test_the_shipped_data_is_what_the_script_gives(load_script: Callable[[str], ModuleType]) -> None:
    script = load_script("gen_builtin_roles")
    shipped = json.loads((ROOT / "tokenlint" / "data" / "kubernetes-roles.json").read_text(encoding="utf-8"))
    built = script.build(POLICY, shipped["kubernetes"], shipped["source"])
    assert built == shipped
