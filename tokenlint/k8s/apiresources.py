"""The API resources of the kinds an admission policy can name: group, version, plural.

An admission policy matches requests by resource (``pods``, ``clusterroles``), not by
kind, and Kyverno by kind: both are written from this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiResource:
    """Where the API server serves a kind."""

    group: str
    version: str
    plural: str
    namespaced: bool = True


_CORE, _APPS, _BATCH, _RBAC = "", "apps", "batch", "rbac.authorization.k8s.io"

API_RESOURCES: dict[str, ApiResource] = {
    "Pod": ApiResource(_CORE, "v1", "pods"),
    "PodTemplate": ApiResource(_CORE, "v1", "podtemplates"),
    "ReplicationController": ApiResource(_CORE, "v1", "replicationcontrollers"),
    "Deployment": ApiResource(_APPS, "v1", "deployments"),
    "StatefulSet": ApiResource(_APPS, "v1", "statefulsets"),
    "DaemonSet": ApiResource(_APPS, "v1", "daemonsets"),
    "ReplicaSet": ApiResource(_APPS, "v1", "replicasets"),
    "Job": ApiResource(_BATCH, "v1", "jobs"),
    "CronJob": ApiResource(_BATCH, "v1", "cronjobs"),
    "ServiceAccount": ApiResource(_CORE, "v1", "serviceaccounts"),
    "Secret": ApiResource(_CORE, "v1", "secrets"),
    "ConfigMap": ApiResource(_CORE, "v1", "configmaps"),
    "Service": ApiResource(_CORE, "v1", "services"),
    "Namespace": ApiResource(_CORE, "v1", "namespaces", namespaced=False),
    "NetworkPolicy": ApiResource("networking.k8s.io", "v1", "networkpolicies"),
    "Ingress": ApiResource("networking.k8s.io", "v1", "ingresses"),
    "Role": ApiResource(_RBAC, "v1", "roles"),
    "ClusterRole": ApiResource(_RBAC, "v1", "clusterroles", namespaced=False),
    "RoleBinding": ApiResource(_RBAC, "v1", "rolebindings"),
    "ClusterRoleBinding": ApiResource(_RBAC, "v1", "clusterrolebindings", namespaced=False),
}
