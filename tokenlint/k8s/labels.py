"""Label selectors as Kubernetes evaluates them (``metav1.LabelSelector``).

Used wherever an object picks others by label: NetworkPolicy ``podSelector``, RBAC
``aggregationRule.clusterRoleSelectors``, Cilium ``endpointSelector``. The semantics follow
``metav1.LabelSelectorAsSelector``:

- every ``matchLabels`` pair and every ``matchExpressions`` requirement must hold (AND);
- an empty selector (``{}``) matches every object;
- a null selector matches nothing. Fields declared as a plain struct rather than a pointer
  (NetworkPolicy ``spec.podSelector``) are never null once decoded: an absent one is the
  empty selector, and callers pass ``{}`` for it;
- a selector the API server would reject (unknown operator, ``In`` without values, a
  malformed key) matches nothing here, and :attr:`Selector.problems` says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

# k8s.io/apimachinery/pkg/util/validation: IsQualifiedName and IsValidLabelValue.
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_MAX = 63
_PREFIX_MAX = 253


@dataclass(frozen=True)
class Requirement:
    """One ``key operator values`` condition; ``matchLabels`` pairs become ``In`` with one value."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def holds(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        value = labels.get(self.key)
        inside = isinstance(value, str) and value in self.values
        # NotIn also matches objects that lack the key (labels.Selector semantics).
        return inside if self.operator == "In" else not inside


@dataclass(frozen=True)
class Selector:
    """A parsed selector; build it once with :func:`parse_selector` and match it many times."""

    requirements: tuple[Requirement, ...] = ()
    null: bool = False
    problems: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, Any]) -> bool:
        if self.null or self.problems:
            return False
        return all(r.holds(labels) for r in self.requirements)


def parse_selector(selector: Any) -> Selector:
    """Parse a selector as written in a manifest (``None`` is the null selector)."""
    if selector is None:
        return Selector(null=True)
    if not isinstance(selector, Mapping):
        return Selector(problems=("selector: must be a mapping",))
    requirements: list[Requirement] = []
    problems: list[str] = []
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Mapping):
        for key, value in match_labels.items():
            problems += _key_problems(f"matchLabels.{key}", key)
            problems += _value_problems(f"matchLabels.{key}", value)
            requirements.append(Requirement(str(key), "In", frozenset({str(value)})))
    elif match_labels is not None:
        problems.append("matchLabels: must be a mapping")
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        for position, expression in enumerate(expressions):
            requirement, found = _expression(f"matchExpressions[{position}]", expression)
            problems += found
            if requirement is not None:
                requirements.append(requirement)
    elif expressions is not None:
        problems.append("matchExpressions: must be a list")
    return Selector(tuple(requirements), problems=tuple(problems))


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether ``selector`` (as written in a manifest) selects an object with ``labels``."""
    return parse_selector(selector).matches(labels)


def selector_problems(selector: Any) -> tuple[str, ...]:
    """Why the API server would reject ``selector``; empty when it is valid."""
    return parse_selector(selector).problems


def _expression(where: str, expression: Any) -> tuple[Requirement | None, list[str]]:
    """One ``matchExpressions`` entry, validated as ``metav1validation.ValidateLabelSelectorRequirement``."""
    if not isinstance(expression, Mapping):
        return None, [f"{where}: must be a mapping"]
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    problems = _key_problems(f"{where}.key", key)
    values = values if values is not None else []
    if not isinstance(values, list):
        return None, [*problems, f"{where}.values: must be a list"]
    if operator in ("In", "NotIn") and not values:
        problems.append(f"{where}.values: must be specified when operator is {operator}")
    elif operator in ("Exists", "DoesNotExist") and values:
        problems.append(f"{where}.values: may not be specified when operator is {operator}")
    elif operator not in OPERATORS:
        problems.append(f"{where}.operator: {operator!r} is not one of {', '.join(OPERATORS)}")
    for position, value in enumerate(values):
        problems += _value_problems(f"{where}.values[{position}]", value)
    return Requirement(str(key), str(operator), frozenset(str(v) for v in values)), problems


def _key_problems(where: str, key: Any) -> list[str]:
    if not isinstance(key, str) or not key:
        return [f"{where}: a label key must be a non-empty string"]
    prefix, _, name = key.rpartition("/")
    if "/" in key and (len(prefix) > _PREFIX_MAX or not _DNS_SUBDOMAIN.match(prefix)):
        return [f"{where}: label key prefix {prefix!r} must be a lowercase DNS subdomain"]
    if len(name) > _NAME_MAX or not _NAME.match(name):
        return [f"{where}: label key {key!r} must be at most 63 alphanumerics, '-', '_' or '.'"]
    return []


def _value_problems(where: str, value: Any) -> list[str]:
    # Label values are strings in the API; YAML 1.1 turns `true` or `1` into other types.
    if not isinstance(value, str):
        return [f"{where}: a label value must be a string (quote it)"]
    if value and (len(value) > _NAME_MAX or not _NAME.match(value)):
        return [f"{where}: label value {value!r} must be at most 63 alphanumerics, '-', '_' or '.'"]
    return []
