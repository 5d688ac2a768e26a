"""Label selector matching and validation, case by case against metav1 semantics."""

from __future__ import annotations

from typing import Any

import pytest

from tokenlint.k8s.labels import parse_selector, selector_matches, selector_problems

WEB = {"app": "web", "tier": "front"}

MATCHES: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("empty selector matches everything", {}, WEB, True),
    ("empty selector matches an unlabelled object", {}, {}, True),
    ("null selector matches nothing", None, WEB, False),
    ("matchLabels equal", {"matchLabels": {"app": "web"}}, WEB, True),
    ("matchLabels other value", {"matchLabels": {"app": "db"}}, WEB, False),
    ("matchLabels missing key", {"matchLabels": {"team": "a"}}, WEB, False),
    ("matchLabels all pairs must hold", {"matchLabels": {"app": "web", "tier": "back"}}, WEB, False),
    ("null matchLabels is no condition", {"matchLabels": None}, WEB, True),
    ("In holds", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db", "web"]}]}, WEB, True),
    ("In fails", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]}, WEB, False),
    ("In needs the key", {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]}, WEB, False),
    ("NotIn holds", {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]}, WEB, True),
    ("NotIn fails", {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, WEB, False),
    (
        "NotIn holds without the key",
        {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]},
        WEB,
        True,
    ),
    ("Exists holds", {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, WEB, True),
    ("Exists fails", {"matchExpressions": [{"key": "team", "operator": "Exists"}]}, WEB, False),
    ("DoesNotExist holds", {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}, WEB, True),
    ("DoesNotExist fails", {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, WEB, False),
    (
        "matchLabels and matchExpressions are ANDed",
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]},
        WEB,
        False,
    ),
    ("a non-string label value never equals", {"matchLabels": {"v": "1"}}, {"v": 1}, False),
    (
        "an unhashable label value never equals",
        {"matchExpressions": [{"key": "v", "operator": "In", "values": ["1"]}]},
        {"v": [1]},
        False,
    ),
    (
        "an invalid selector matches nothing",
        {"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]},
        WEB,
        False,
    ),
    ("prefixed keys", {"matchLabels": {"app.kubernetes.io/name": "web"}}, {"app.kubernetes.io/name": "web"}, True),
]


@pytest.mark.parametrize(("selector", "labels", "expected"), [c[1:] for c in MATCHES], ids=[c[0] for c in MATCHES])
def test_selector_matches(selector: Any, labels: dict[str, Any], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


PROBLEMS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("valid", {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "t", "operator": "Exists"}]}, ()),
    ("null is valid", None, ()),
    ("not a mapping", ["app"], ("selector: must be a mapping",)),
    ("matchLabels not a mapping", {"matchLabels": ["app"]}, ("matchLabels: must be a mapping",)),
    ("matchExpressions not a list", {"matchExpressions": {"key": "a"}}, ("matchExpressions: must be a list",)),
    (
        "unknown operator",
        {"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]},
        ("matchExpressions[0].operator: 'in' is not one of In, NotIn, Exists, DoesNotExist",),
    ),
    (
        "In without values",
        {"matchExpressions": [{"key": "app", "operator": "In"}]},
        ("matchExpressions[0].values: must be specified when operator is In",),
    ),
    (
        "NotIn with empty values",
        {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": []}]},
        ("matchExpressions[0].values: must be specified when operator is NotIn",),
    ),
    (
        "Exists with values",
        {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["web"]}]},
        ("matchExpressions[0].values: may not be specified when operator is Exists",),
    ),
    (
        "values not a list",
        {"matchExpressions": [{"key": "app", "operator": "In", "values": "web"}]},
        ("matchExpressions[0].values: must be a list",),
    ),
    ("expression not a mapping", {"matchExpressions": ["app"]}, ("matchExpressions[0]: must be a mapping",)),
    (
        "missing key",
        {"matchExpressions": [{"operator": "Exists"}]},
        ("matchExpressions[0].key: a label key must be a non-empty string",),
    ),
    (
        "bad key name",
        {"matchLabels": {"-app": "web"}},
        ("matchLabels.-app: label key '-app' must be at most 63 alphanumerics, '-', '_' or '.'",),
    ),
    (
        "bad key prefix",
        {"matchLabels": {"Example.com/app": "web"}},
        ("matchLabels.Example.com/app: label key prefix 'Example.com' must be a lowercase DNS subdomain",),
    ),
    (
        "non-string value",
        {"matchLabels": {"enabled": True}},
        ("matchLabels.enabled: a label value must be a string (quote it)",),
    ),
    (
        "bad value",
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a b"]}]},
        ("matchExpressions[0].values[0]: label value 'a b' must be at most 63 alphanumerics, '-', '_' or '.'",),
    ),
    ("empty value is valid", {"matchLabels": {"app": ""}}, ()),
]


@pytest.mark.parametrize(("selector", "expected"), [c[1:] for c in PROBLEMS], ids=[c[0] for c in PROBLEMS])
def test_selector_problems(selector: Any, expected: tuple[str, ...]) -> None:
    assert selector_problems(selector) == expected


def test_a_parsed_selector_is_reused() -> None:
    selector = parse_selector({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]})
    assert [selector.matches(labels) for labels in (WEB, {"app": "db"}, {})] == [True, False, False]
