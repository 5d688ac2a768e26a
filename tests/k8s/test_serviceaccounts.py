"""The service account of a pod and the automount decision, one Kubernetes rule per case."""

from __future__ import annotations

import pytest

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.serviceaccounts import TokenSource, account_of, projected_tokens, token_mount
from tokenlint.k8s.workloads import Workload, workload_of
from tokenlint.resources.resource import FileOrigin, Resource, resources_of
from tokenlint.yaml.reader import parse_stream


def load(text: str) -> list[Resource]:
    documents, errors = parse_stream(text.encode())
    assert not errors
    return [r for doc in documents for r in resources_of(doc, FileOrigin("t.yaml"), "default")]


def pod(spec: str, namespace: str = "app") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: {namespace}}}\nspec:\n{spec}\n"


def account(name: str, namespace: str = "app", automount: str | None = None) -> str:
    line = f"automountServiceAccountToken: {automount}\n" if automount is not None else ""
    return f"---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}, namespace: {namespace}}}\n{line}"


def only_workload(resources: list[Resource]) -> Workload:
    workloads = [w for w in map(workload_of, resources) if w is not None]
    assert len(workloads) == 1
    return workloads[0]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("  serviceAccountName: api\n  serviceAccount: old", ("app", "api")),
        ("  serviceAccount: old", ("app", "old")),
        ('  serviceAccountName: ""\n  serviceAccount: old', ("app", "old")),
        ("  containers: []", ("app", "default")),
    ],
    ids=["name-wins", "deprecated-field", "empty-name-falls-back", "default"],
)
def test_account_of(spec: str, expected: tuple[str, str]) -> None:
    assert account_of(only_workload(load(pod(spec)))) == expected


@pytest.mark.parametrize(
    ("text", "mounted", "source", "line"),
    [
        (pod("  serviceAccountName: api"), True, TokenSource.DEFAULT, 5),
        (pod("  serviceAccountName: api") + account("api"), True, TokenSource.DEFAULT, 5),
        (pod("  serviceAccountName: api") + account("api", automount="no"), False, TokenSource.SERVICE_ACCOUNT, 5),
        (pod("  automountServiceAccountToken: on") + account("default", automount="false"), True, TokenSource.POD, 5),
        (pod("  automountServiceAccountToken: off") + account("default", automount="true"), False, TokenSource.POD, 5),
        (
            pod("  containers: []") + account("default", namespace="other", automount="false"),
            True,
            TokenSource.DEFAULT,
            4,
        ),
    ],
    ids=["missing-account", "account-silent", "account-false", "pod-true-wins", "pod-false-wins", "other-namespace"],
)
def test_token_mount(text: str, mounted: bool, source: TokenSource, line: int) -> None:
    resources = load(text)
    index = BundleIndex.build(resources)
    workload = only_workload(resources)
    mount = token_mount(workload, index)
    assert (mount.mounted, mount.source) == (mounted, source)
    assert workload.resource.locate(mount.field).line == line


def test_explain_names_where_the_decision_comes_from() -> None:
    resources = load(pod("  serviceAccountName: api"))
    mount = token_mount(only_workload(resources), BundleIndex.build(resources))
    assert mount.explain() == ("ServiceAccount app/api is not in the input, and Kubernetes mounts by default")


def test_projected_tokens_are_found_in_every_projected_volume() -> None:
    spec = """  volumes:
    - name: config
      configMap: {name: c}
    - name: mixed
      projected:
        sources:
          - configMap: {name: c}
          - serviceAccountToken: {path: token, expirationSeconds: 600}
    - name: broken
      projected: null"""
    workload = only_workload(load(pod(spec)))
    assert list(projected_tokens(workload)) == [
        ("spec", "volumes", 1, "projected", "sources", 1, "serviceAccountToken")
    ]
