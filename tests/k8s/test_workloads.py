"""Pod spec discovery per kind, and what the index keeps of a workload."""

from __future__ import annotations

import pytest

from tokenlint.k8s.workloads import pod_spec_path, slim_for_index, workload_of
from tokenlint.resources.resource import FileOrigin, Resource, resources_of
from tokenlint.yaml.reader import parse_stream


def resource(text: str) -> Resource:
    (doc,), errors = parse_stream(text.encode())
    assert not errors
    (found,) = resources_of(doc, FileOrigin("w.yaml"), "default")
    return found


@pytest.mark.parametrize(
    ("kind", "body", "path"),
    [
        ("Pod", "spec: {containers: []}", ("spec",)),
        ("PodTemplate", "template: {spec: {containers: []}}", ("template", "spec")),
        (
            "CronJob",
            "spec: {jobTemplate: {spec: {template: {spec: {}}}}}",
            ("spec", "jobTemplate", "spec", "template", "spec"),
        ),
        ("Deployment", "spec: {}", ("spec", "template", "spec")),
        ("Job", "spec: {}", ("spec", "template", "spec")),
        ("Rollout", "spec: {template: {spec: {containers: []}}}", ("spec", "template", "spec")),
        ("Rollout", "spec: {template: {spec: {}}}", None),
        ("ConfigMap", "data: {}", None),
    ],
)
def test_pod_spec_path_per_kind(kind: str, body: str, path: tuple[str, ...] | None) -> None:
    assert pod_spec_path(resource(f"apiVersion: x/v1\nkind: {kind}\nmetadata: {{name: w}}\n{body}\n")) == path


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      serviceAccountName: api
      affinity: {nodeAffinity: {}}
      containers:
        - name: api
          image: api:1
          env: [{name: A, value: b}]
          ports: [{containerPort: 80, name: http}]
          volumeMounts: [{name: token, mountPath: /var/run/secrets/tokens}]
      volumes: [{name: token, projected: {sources: []}}]
"""


def test_slim_keeps_what_cross_file_rules_read_with_exact_positions() -> None:
    kept = resource(DEPLOYMENT)
    before = {
        path: kept.locate(path)
        for path in [("spec", "template", "spec", "volumes", 0), ("spec", "template", "spec", "containers", 0, "ports")]
    }
    workload = workload_of(kept)
    assert workload is not None
    slim_for_index(workload)
    spec = workload.spec
    assert set(spec) == {"serviceAccountName", "containers", "volumes"}
    assert [set(c) for c in spec["containers"]] == [{"name", "ports", "volumeMounts"}]
    assert {path: kept.locate(path) for path in before} == before
    assert workload_of(kept) is not None  # still a workload: it keeps its containers key
