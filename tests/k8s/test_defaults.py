"""Which objects of a cluster dump Kubernetes owns, and what happens to their findings."""

from __future__ import annotations

import pytest
from helpers import resources_in

from tokenlint.k8s import defaults
from tokenlint.resources.resource import Resource

load = resources_in


def _object(text: str) -> Resource:
    return load(text)[0]


@pytest.mark.parametrize(
    ("text", "own"),
    [
        (
            "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole,"
            " metadata: {name: x, labels: {kubernetes.io/bootstrapping: rbac-defaults}}}",
            True,
        ),
        (
            "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole,"
            " metadata: {name: x, annotations: {rbac.authorization.kubernetes.io/autoupdate: 'true'}}}",
            True,
        ),
        (
            "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole,"
            " metadata: {name: x, annotations: {rbac.authorization.kubernetes.io/autoupdate: 'false'}}}",
            False,
        ),
        ("{apiVersion: v1, kind: ServiceAccount, metadata: {name: node-controller, namespace: kube-system}}", True),
        ("{apiVersion: v1, kind: ServiceAccount, metadata: {name: replicaset-controller, namespace: shop}}", False),
        ("{apiVersion: v1, kind: ServiceAccount, metadata: {name: coredns, namespace: kube-system}}", False),
        (
            "{apiVersion: v1, kind: Secret, type: kubernetes.io/service-account-token, metadata: {name: t,"
            " namespace: kube-system, annotations: {kubernetes.io/service-account.name: node-controller}}}",
            True,
        ),
        (
            "{apiVersion: v1, kind: Secret, type: kubernetes.io/service-account-token, metadata: {name: t,"
            " namespace: kube-system, annotations: {kubernetes.io/service-account.name: coredns}}}",
            False,
        ),
    ],
)
def test_kubernetes_own_objects(text: str, own: bool) -> None:
    assert defaults.is_kubernetes_own(_object(text)) is own


def test_a_kube_system_pod_running_as_a_control_plane_identity_is_kubernetes_own() -> None:
    pod = _object("{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: kube-system}}")
    assert defaults.is_kubernetes_own(pod, ("kube-system", "node-controller"))
    assert not defaults.is_kubernetes_own(pod, ("kube-system", "coredns"))
