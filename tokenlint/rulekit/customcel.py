"""The JSON Schema of a custom rule as one CEL expression, for admission policies.

The expression is true when the value satisfies the schema. The API server has already
checked the object against its own schema, so the translation may assume Kubernetes'
types: ``type`` adds nothing and is accepted as written, and ``properties`` applies to
the objects that Kubernetes' schema puts there. Keywords that have no faithful CEL form
here (``$ref``, ``patternProperties``, ``additionalProperties``, ``uniqueItems``,
``format``...) make the rule not exportable, and the export says which keyword.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tokenlint.admission import cel_all_of, cel_string

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset(
    {
        "as",
        "break",
        "const",
        "continue",
        "else",
        "false",
        "for",
        "function",
        "if",
        "import",
        "in",
        "let",
        "loop",
        "package",
        "namespace",
        "null",
        "return",
        "true",
        "var",
        "void",
        "while",
    }
)
"""CEL's reserved words: a property of that name is selected as ``value['name']``."""
_IGNORED = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_COMPARISONS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_SIZES = {
    "minLength": ">=",
    "maxLength": "<=",
    "minItems": ">=",
    "maxItems": "<=",
    "minProperties": ">=",
    "maxProperties": "<=",
}


class Untranslatable(Exception):
    """The schema uses a keyword without a CEL form; the message names it."""


def schema_cel(schema: Any, value: str) -> str:
    """CEL that is true when the value at CEL expression ``value`` satisfies ``schema``.

    Raises Untranslatable for a keyword that has no CEL form here.
    """
    return _Translator().valid(schema, value)


def _literal(value: Any) -> str:
    """A JSON value as a CEL literal (null, bool, numbers, strings, lists, maps)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return cel_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{cel_string(str(k))}: {_literal(v)}" for k, v in value.items()) + "}"
    raise Untranslatable(f"the value {value!r} has no CEL literal")


class _Translator:
    """Walks one schema; numbers the variables of nested macros so that they never shadow."""

    def __init__(self) -> None:
        self.depth = 0

    def valid(self, schema: Any, value: str) -> str:
        if schema is True:
            return "true"
        if schema is False:
            return "false"
        if not isinstance(schema, dict):
            raise Untranslatable(f"a schema must be an object or a boolean, found {schema!r}")
        parts: list[str] = []
        for keyword, argument in schema.items():
            if keyword in _IGNORED or keyword == "type":
                continue
            parts.append(self._keyword(keyword, argument, schema, value))
        return cel_all_of(parts)

    def _keyword(self, keyword: str, argument: Any, schema: dict[str, Any], value: str) -> str:
        if keyword == "const":
            return f"{value} == {_literal(argument)}"
        if keyword == "enum":
            return f"{value} in {_literal(argument)}"
        if keyword == "required":
            return cel_all_of(self._has(value, name) for name in argument)
        if keyword == "properties":
            return cel_all_of(
                f"!({self._has(value, name)}) || ({self.valid(sub, self._field(value, name))})"
                for name, sub in argument.items()
            )
        if keyword == "not":
            return f"!({self.valid(argument, value)})"
        if keyword == "allOf":
            return cel_all_of(self.valid(sub, value) for sub in argument)
        if keyword == "anyOf":
            return " || ".join(f"({self.valid(sub, value)})" for sub in argument)
        if keyword == "oneOf":
            return f"size([{', '.join(self.valid(sub, value) for sub in argument)}].filter(b, b)) == 1"
        if keyword == "if":
            then, otherwise = schema.get("then", True), schema.get("else", True)
            condition = self.valid(argument, value)
            return f"({condition}) ? ({self.valid(then, value)}) : ({self.valid(otherwise, value)})"
        if keyword in ("then", "else"):
            return "true"  # decided with "if"; alone they have no effect
        if keyword == "items" and isinstance(argument, dict | bool):
            return self._macro(value, "all", argument)
        if keyword == "contains":
            return self._macro(value, "exists", argument)
        if keyword in _COMPARISONS:
            return f"{value} {_COMPARISONS[keyword]} {_literal(argument)}"
        if keyword in _SIZES:
            return f"size({value}) {_SIZES[keyword]} {int(argument)}"
        if keyword == "pattern":
            # JSON Schema's pattern searches, like CEL's matches(); RE2 lacks look-around.
            return f"{value}.matches({cel_string(argument)})"
        raise Untranslatable(f"its JSON Schema uses {keyword!r}, which has no CEL form in the export")

    def _macro(self, value: str, macro: str, schema: Any) -> str:
        self.depth += 1
        variable = f"x{self.depth}"
        try:
            return f"{value}.{macro}({variable}, {self.valid(schema, variable)})"
        finally:
            self.depth -= 1

    @staticmethod
    def _has(value: str, name: str) -> str:
        if _IDENTIFIER.match(name) and name not in _RESERVED:
            return f"has({value}.{name})"
        return f"{cel_string(name)} in {value}"

    @staticmethod
    def _field(value: str, name: str) -> str:
        if _IDENTIFIER.match(name) and name not in _RESERVED:
            return f"{value}.{name}"
        return f"{value}[{cel_string(name)}]"
