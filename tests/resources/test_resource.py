"""Resources: identity as the API server sees it, List unwrapping, and locating fields."""

from __future__ import annotations

import pytest

from tokenlint.engine.run import lint
from tokenlint.model import Location, ResourceRef
from tokenlint.resources.resource import FileOrigin, Resource, Stream, resources_of
from tokenlint.rulekit.registry import RuleSet
from tokenlint.yaml.reader import DuplicateKey, parse_stream

ORIGIN = FileOrigin("deploy/app.yaml")


def resources(text: str, namespace: str = "default") -> list[Resource]:
    docs, errors = parse_stream(text.encode())
    assert errors == []
    return [r for doc in docs for r in resources_of(doc, ORIGIN, namespace)]


def only(text: str, namespace: str = "default") -> Resource:
    found = resources(text, namespace)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("text", "namespace", "expected"),
    [
        ("kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: shop}\n", "release", "shop"),
        ("kind: Pod\napiVersion: v1\nmetadata: {name: a}\n", "release", "release"),
        ("kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: ''}\n", "release", "release"),
        ("kind: Pod\napiVersion: v1\nmetadata: {name: a}\n", "default", "default"),
        ("kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: a}\n", "release", None),
        ("kind: Namespace\napiVersion: v1\nmetadata: {name: a, namespace: shop}\n", "release", None),
    ],
)
def test_namespace_resolution(text: str, namespace: str, expected: str | None) -> None:
    assert only(text, namespace).namespace == expected


def test_identity_fields_are_text_and_generate_name_stands_in_for_name() -> None:
    resource = only("apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n  namespace: 2024\n")
    assert resource.ref == ResourceRef("v1", "Pod", "2024", "job-")


def test_list_and_typed_list_items_are_resources() -> None:
    found = resources(
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
        "  - {kind: ConfigMap, metadata: {name: no-api-version}}\n"
        "  - just text\n"
        "  - {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: vault}}\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: ConfigMapList\n"
        "items:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n",
        namespace="shop",
    )
    assert [(r.kind, r.namespace, r.name) for r in found] == [
        ("ConfigMap", "shop", "a"),
        ("Secret", "vault", "b"),
        ("ConfigMap", "shop", "c"),
    ]
    assert found[1].locate(("metadata", "name")).line == 7


def test_a_kind_ending_in_list_without_items_is_an_object() -> None:
    resource = only("apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: a}\nspec: {}\n")
    assert resource.kind == "AllowList"


def test_duplicate_keys_belong_to_their_list_item() -> None:
    found = resources(
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "  - apiVersion: v1\n"
        "    kind: ConfigMap\n"
        "    metadata: {name: a}\n"
        "  - apiVersion: v1\n"
        "    kind: ConfigMap\n"
        "    metadata: {name: b, name: c}\n"
    )
    assert [r.duplicates for r in found] == [[], [DuplicateKey(("metadata", "name"), (9, 16), (9, 25))]]


def test_documents_without_api_version_or_kind_are_skipped_and_counted() -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Pod\n---\nfoo: bar\n---\n- a list\n---\n"
    assert [r.ref for r in resources(text.decode())] == [ResourceRef("v1", "ConfigMap", "default", "a")]
    result = lint([Stream(ORIGIN, text)], RuleSet(()))
    assert (result.documents, result.resources, result.skipped, result.errors) == (4, 1, 3, [])


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
    - name: sidecar
"""


@pytest.mark.parametrize(
    ("path", "line", "column", "end_column", "note"),
    [
        ((), 2, 1, 5, None),
        (("metadata", "name"), 4, 3, 7, None),
        (("spec", "containers"), 6, 3, 13, None),
        (("spec", "containers", 1), 9, 7, 8, None),
        (("spec", "containers", 0, "image"), 8, 7, 12, None),
        (("spec", "automountServiceAccountToken"), 5, 1, 5, "field not present; showing its closest parent"),
        (("spec", "containers", 5, "name"), 6, 3, 13, "field not present; showing its closest parent"),
        (("metadata", "name", "x"), 4, 3, 7, "field not present; showing its closest parent"),
    ],
)
def test_locate(path: tuple[str | int, ...], line: int, column: int, end_column: int, note: str | None) -> None:
    assert only(POD).locate(path) == Location("deploy/app.yaml", line, column, line, end_column, note=note)


def test_get_is_lenient() -> None:
    pod = only(POD)
    assert pod.get(("spec", "containers", 1, "name")) == "sidecar"
    assert pod.get(("spec", "containers", 2)) is None
    assert pod.get(("spec", "containers", "name")) is None
    assert pod.get(("metadata", "name", 0)) is None


def test_labels_and_annotations_of_the_wrong_type_read_as_empty() -> None:
    resource = only("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: [x]\n  annotations: {a: b}\n")
    assert resource.labels == {}
    assert resource.annotations == {"a": "b"}
