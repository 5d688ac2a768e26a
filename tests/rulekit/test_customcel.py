"""A custom rule's JSON Schema as CEL decides every value as jsonschema does.

Each schema is translated and evaluated with the official CEL runtime on values that
satisfy it and values that do not; the verdict must equal jsonschema's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from cel_expr_python import cel
from jsonschema import Draft202012Validator

from tokenlint.rulekit.customcel import Untranslatable, schema_cel

_ENV = cel.NewEnv(variables={"object": cel.Type.DYN})

CASES: list[tuple[dict[str, Any], list[Any]]] = [
    (
        {
            "required": ["automountServiceAccountToken"],
            "properties": {"automountServiceAccountToken": {"const": False}},
        },
        [{}, {"automountServiceAccountToken": False}, {"automountServiceAccountToken": True}],
    ),
    ({"properties": {"kind": {"enum": ["Pod", "Job"]}}}, [{"kind": "Pod"}, {"kind": "Deployment"}, {}]),
    (
        {
            "properties": {
                "containers": {"items": {"required": ["image"], "properties": {"image": {"pattern": "@sha256:"}}}}
            }
        },
        [
            {"containers": [{"image": "a@sha256:00"}]},
            {"containers": [{"image": "a:latest"}]},
            {"containers": [{"name": "x"}]},
            {"containers": []},
        ],
    ),
    (
        {"properties": {"replicas": {"minimum": 2, "exclusiveMaximum": 10}}},
        [{"replicas": 1}, {"replicas": 2}, {"replicas": 9}, {"replicas": 10}],
    ),
    ({"properties": {"name": {"minLength": 3, "maxLength": 5}}}, [{"name": "ab"}, {"name": "abc"}, {"name": "abcdef"}]),
    ({"properties": {"ports": {"minItems": 1, "maxItems": 2}}}, [{"ports": []}, {"ports": [1]}, {"ports": [1, 2, 3]}]),
    (
        {"properties": {"labels": {"required": ["app.kubernetes.io/name"], "maxProperties": 2}}},
        [{"labels": {"app.kubernetes.io/name": "x"}}, {"labels": {"a": "b"}}, {"labels": {"a": "", "b": "", "c": ""}}],
    ),
    (
        {"not": {"required": ["hostNetwork"], "properties": {"hostNetwork": {"const": True}}}},
        [{}, {"hostNetwork": True}, {"hostNetwork": False}],
    ),
    (
        {"anyOf": [{"required": ["a"]}, {"required": ["b"]}], "oneOf": [{"required": ["a"]}, {"required": ["c"]}]},
        [{"a": 1}, {"b": 1}, {"a": 1, "c": 1}, {"b": 1, "c": 1}, {}],
    ),
    (
        {"if": {"required": ["hostPID"]}, "then": {"properties": {"hostPID": {"const": False}}}, "else": True},
        [{}, {"hostPID": False}, {"hostPID": True}],
    ),
    (
        {"properties": {"volumes": {"contains": {"required": ["projected"]}}}},
        [{"volumes": [{}]}, {"volumes": [{"projected": {}}, {}]}],
    ),
    ({"allOf": [{"required": ["a"]}, {"properties": {"in": {"const": 1}}}]}, [{"a": 0}, {"a": 0, "in": 2}, {"in": 1}]),
    ({"properties": {"x": True, "y": False}}, [{}, {"x": 1}, {"y": 1}]),
]


@pytest.mark.parametrize(("schema", "values"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_cel_decides_like_jsonschema(schema: dict[str, Any], values: list[Any]) -> None:
    expression = schema_cel(schema, "object")
    compiled = _ENV.compile(expression)
    validator = Draft202012Validator(schema)
    verdicts = set()
    for value in values:
        result = compiled.eval(data={"object": value})
        assert result.type() == cel.Type.BOOL, (expression, value, result.value())
        verdicts.add(result.value())
        assert result.value() == validator.is_valid(value), (expression, value)
    assert verdicts == {True, False}


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"patternProperties": {"^x": {}}}, "patternProperties"),
        ({"properties": {"a": {"$ref": "#/$defs/x"}}}, "$ref"),
        ({"additionalProperties": False}, "additionalProperties"),
        ({"uniqueItems": True}, "uniqueItems"),
        ({"format": "email"}, "format"),
    ],
)
def test_keywords_without_a_cel_form_are_named(schema: dict[str, Any], keyword: str) -> None:
    with pytest.raises(Untranslatable, match=re.escape(repr(keyword))):
        schema_cel(schema, "object")
