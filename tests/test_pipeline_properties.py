"""Property: whatever shape the fields the rules read take, a run ends cleanly.

Generated documents of every kind the rules read, with each field either well formed or
of a wrong type (a string for a list, a list for a mapping, numbers, nulls, booleans),
are linted beside a fixed good file. Every run must exit with 0, 1 or 2, print one JSON
report and no traceback, and report on the fixed file exactly what it reports alone.

The example count is small in CI; ``TOKENLINT_PROPERTY_EXAMPLES=5000 pytest
tests/test_pipeline_properties.py`` runs it long.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tokenlint.cli import app

EXAMPLES = int(os.environ.get("TOKENLINT_PROPERTY_EXAMPLES", "30"))

FIXED = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: fixed}
---
apiVersion: v1
kind: Secret
metadata:
  name: api-token
  namespace: fixed
  annotations: {kubernetes.io/service-account.name: api}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: fixed}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-reader, namespace: fixed}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: api, namespace: fixed}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: fixed}
spec:
  template:
    spec:
      serviceAccountName: api
      containers: [{name: api, image: registry.example/api:1.0}]
"""
"""Findings of their own (TL001, TL002, TL101, TL201, TL005) that nothing generated may change."""

# The generated objects live in namespace "gen" and name only its accounts and groups,
# so that no generated binding or policy can rightly change what the fixed file gets.
NAMES = st.sampled_from(["a", "b", "default", "gen-sa"])
WRONG = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.text(max_size=8) | st.just("*"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field the rules read: mostly well formed, else of any wrong type."""
    return st.one_of(good, good, WRONG)


def mapping(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping whose fields may each be missing."""
    return st.fixed_dictionaries({}, optional=fields)


RULE = mapping(
    apiGroups=field(st.lists(st.sampled_from(["", "*", "apps", "rbac.authorization.k8s.io"]), max_size=2)),
    resources=field(st.lists(st.sampled_from(["secrets", "*", "pods/exec", "serviceaccounts/token"]), max_size=2)),
    verbs=field(st.lists(st.sampled_from(["get", "*", "create", "escalate", "bind", "impersonate"]), max_size=3)),
    nonResourceURLs=field(st.lists(st.sampled_from(["*", "/metrics"]), max_size=1)),
)
SUBJECT = mapping(
    kind=field(st.sampled_from(["ServiceAccount", "User", "Group"])),
    name=field(st.one_of(NAMES, st.just("gen-group"), st.just("system:serviceaccount:gen:a"))),
    namespace=field(st.just("gen")),
)
POD_SPEC = mapping(
    serviceAccountName=field(NAMES),
    serviceAccount=field(NAMES),
    automountServiceAccountToken=field(st.booleans()),
    hostNetwork=field(st.booleans()),
    containers=field(st.lists(mapping(name=field(st.text(max_size=4)), image=field(st.just("nginx"))), max_size=2)),
    volumes=field(
        st.lists(
            mapping(
                name=field(st.just("token")),
                projected=field(
                    mapping(
                        sources=field(
                            st.lists(
                                mapping(
                                    serviceAccountToken=field(
                                        mapping(
                                            expirationSeconds=field(st.integers(600, 10**9)),
                                            audience=field(st.just("api")),
                                        )
                                    )
                                ),
                                max_size=2,
                            )
                        )
                    )
                ),
            ),
            max_size=2,
        )
    ),
)
TEMPLATE = mapping(metadata=field(mapping(labels=field(st.just({"app": "x"})))), spec=field(POD_SPEC))
KINDS: dict[str, tuple[str, st.SearchStrategy[dict[str, Any]]]] = {
    "Pod": ("v1", mapping(spec=field(POD_SPEC))),
    "Deployment": ("apps/v1", mapping(spec=field(mapping(template=field(TEMPLATE))))),
    "CronJob": (
        "batch/v1",
        mapping(spec=field(mapping(jobTemplate=field(mapping(spec=field(mapping(template=field(TEMPLATE)))))))),
    ),
    "ServiceAccount": (
        "v1",
        mapping(
            automountServiceAccountToken=field(st.booleans()),
            secrets=field(st.lists(mapping(name=field(NAMES)), max_size=2)),
        ),
    ),
    "Secret": (
        "v1",
        mapping(
            type=field(st.just("kubernetes.io/service-account-token")),
            data=field(st.dictionaries(st.sampled_from(["token", "ca.crt"]), st.text(max_size=8), max_size=2)),
        ),
    ),
    "Role": ("rbac.authorization.k8s.io/v1", mapping(rules=field(st.lists(RULE, max_size=3)))),
    "ClusterRole": (
        "rbac.authorization.k8s.io/v1",
        mapping(
            rules=field(st.lists(RULE, max_size=3)),
            aggregationRule=field(
                mapping(clusterRoleSelectors=field(st.lists(mapping(matchLabels=field(st.just({"gen": "x"}))))))
            ),
        ),
    ),
    "RoleBinding": (
        "rbac.authorization.k8s.io/v1",
        mapping(
            roleRef=field(mapping(kind=field(st.sampled_from(["Role", "ClusterRole"])), name=field(NAMES))),
            subjects=field(st.lists(SUBJECT, max_size=3)),
        ),
    ),
    "ClusterRoleBinding": (
        "rbac.authorization.k8s.io/v1",
        mapping(
            roleRef=field(mapping(kind=field(st.just("ClusterRole")), name=field(st.sampled_from(["a", "gen-role"])))),
            subjects=field(st.lists(SUBJECT, max_size=3)),
        ),
    ),
    "NetworkPolicy": (
        "networking.k8s.io/v1",
        mapping(
            spec=field(
                mapping(
                    podSelector=field(mapping(matchLabels=field(st.just({"app": "x"})))),
                    policyTypes=field(st.lists(st.sampled_from(["Egress", "Ingress"]), max_size=2)),
                    egress=field(
                        st.lists(
                            mapping(
                                to=field(
                                    st.lists(
                                        mapping(
                                            ipBlock=field(
                                                mapping(
                                                    cidr=field(st.sampled_from(["0.0.0.0/0", "::/0", "10.0.0.0/8"])),
                                                    **{"except": field(st.lists(st.just("169.254.169.254/32")))},
                                                )
                                            )
                                        ),
                                        max_size=2,
                                    )
                                ),
                                ports=field(st.lists(mapping(port=field(st.integers(1, 65535))), max_size=2)),
                            ),
                            max_size=2,
                        )
                    ),
                )
            )
        ),
    ),
}


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    api_version, body = KINDS[kind]
    document = draw(body)
    document["apiVersion"] = api_version
    document["kind"] = kind
    document["metadata"] = draw(
        field(mapping(name=field(NAMES), namespace=field(st.just("gen")), annotations=field(st.just({}))))
    )
    return document


def lint(*paths: str) -> tuple[int, dict[str, Any]]:
    outcome = CliRunner().invoke(app, ["lint", "--format", "json", "--no-cache", "--namespace", "gen", *paths])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    assert "Traceback" not in outcome.stdout
    return outcome.exit_code, json.loads(outcome.stdout)


def of_fixed(report: dict[str, Any]) -> list[Any]:
    return [f for f in report["findings"] if f["location"]["path"] == "fixed.yaml"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("property")
    (root / "fixed.yaml").write_text(FIXED, encoding="utf-8")
    return root


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(st.lists(documents(), min_size=1, max_size=4))
def test_any_field_shape_ends_cleanly_and_leaves_the_fixed_file_alone(
    folder: Path, monkeypatch: pytest.MonkeyPatch, generated: list[dict[str, Any]]
) -> None:
    monkeypatch.chdir(folder)
    status, alone = lint("fixed.yaml")
    assert status == 1
    assert {f["rule"] for f in of_fixed(alone)} >= {"TL001", "TL002", "TL101", "TL201"}
    (folder / "gen.yaml").write_text("\n---\n".join(json.dumps(d) for d in generated) + "\n", encoding="utf-8")
    status, beside = lint("fixed.yaml", "gen.yaml")
    assert status in (0, 1, 2)
    assert of_fixed(beside) == of_fixed(alone)
    assert all(e["path"] == "gen.yaml" for e in beside["errors"])
