"""How the RBAC authorizer reads '*' (pkg/apis/rbac/v1/evaluation_helpers.go), entry by entry."""

from __future__ import annotations

import pytest

from tokenlint.k8s.policy import Wildcard, describe_targets, describe_verbs, wildcard, written_rules
from tokenlint.resources.resource import FileOrigin, Resource, make_resource
from tokenlint.yaml.reader import YMap, parse_stream


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("verbs", "get", None),
        ("verbs", "*", Wildcard.ALL),
        ("verbs", "get*", Wildcard.LITERAL),
        ("apiGroups", "*", Wildcard.ALL),
        ("apiGroups", "*.example.com", Wildcard.LITERAL),
        ("resources", "*", Wildcard.ALL),
        ("resources", "*/scale", Wildcard.ANY_RESOURCE),
        ("resources", "pods/*", Wildcard.LITERAL),
        ("resources", "*/*", Wildcard.LITERAL),
        ("resources", "pods/log", None),
        ("nonResourceURLs", "*", Wildcard.ALL),
        ("nonResourceURLs", "**", Wildcard.ALL),
        ("nonResourceURLs", "/api/*", Wildcard.PREFIX),
        ("nonResourceURLs", "/api/*/x", Wildcard.LITERAL),
        ("nonResourceURLs", "/healthz", None),
    ],
)
def test_wildcard(field: str, value: str, expected: Wildcard | None) -> None:
    assert wildcard(field, value) is expected


def _role(text: str) -> Resource:
    docs, errors = parse_stream(text.encode())
    assert not errors
    body = docs[0].data
    assert isinstance(body, YMap)
    return make_resource(body, FileOrigin("role.yaml"), "default")


def test_written_rules_keeps_indexes_and_skips_non_mappings() -> None:
    role = _role("kind: Role\nrules:\n  - verbs: [get]\n  - null\n  - verbs: ['*']\n")
    assert [i for i, _ in written_rules(role)] == [0, 2]


def test_aggregated_cluster_role_has_no_written_rules() -> None:
    text = "kind: ClusterRole\naggregationRule:\n  clusterRoleSelectors: []\nrules:\n  - verbs: ['*']\n"
    assert list(written_rules(_role(text))) == []


def test_descriptions() -> None:
    assert describe_verbs({"verbs": ["get", "list"]}) == "get, list"
    assert describe_verbs({"verbs": ["get", "*"]}) == "every verb"
    assert describe_targets({"resources": ["pods", "secrets"]}) == "pods, secrets"
    assert describe_targets({"resources": ["*"]}) == "every resource"
    assert describe_targets({"nonResourceURLs": ["/metrics"]}) == "non-resource URLs /metrics"
    assert describe_targets({"nonResourceURLs": ["*"]}) == "every non-resource URL"
