"""The policy rules written in a Role or ClusterRole, as the RBAC authorizer reads them.

Wildcards follow ``pkg/apis/rbac/v1/evaluation_helpers.go``: ``*`` alone matches every
verb, API group, resource or non-resource URL; in ``resources`` the form
``*/<subresource>`` matches that subresource of every resource; in ``nonResourceURLs`` a
trailing ``*`` matches every path with that prefix. Any other ``*`` (``pods/*``, ``*/*``,
``apps*``) is compared literally and so matches no real request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

from tokenlint.resources import Resource

ALL = "*"
ROLE_KINDS = frozenset({"Role", "ClusterRole"})


class Wildcard(enum.Enum):
    """How a ``*`` in one entry of a policy rule is matched by the authorizer."""

    ALL = "all"
    """``*`` alone: everything."""
    ANY_RESOURCE = "any-resource"
    """``*/<subresource>``: that subresource of every resource."""
    PREFIX = "prefix"
    """A non-resource URL ending in ``*``: every path below the prefix."""
    LITERAL = "literal"
    """A ``*`` the authorizer compares literally: it matches no request."""


def written_rules(role: Resource) -> Iterator[tuple[int, dict[str, Any]]]:
    """The ``rules`` of a role with their indexes, as written in the input.

    An aggregated ClusterRole yields nothing: the aggregation controller overwrites its
    ``rules`` with those of the ClusterRoles its ``aggregationRule`` selects, so what is
    written there never takes effect; those roles are checked where they are defined.
    """
    if role.kind == "ClusterRole" and role.body.get("aggregationRule") is not None:
        return
    rules = role.body.get("rules")
    if not isinstance(rules, list):
        return
    for i, rule in enumerate(rules):
        if isinstance(rule, dict):
            yield i, rule


WRITTEN_RULES_CEL = "!(object.kind == 'ClusterRole' && has(object.aggregationRule))"
"""CEL: the role's written ``rules`` take effect (see :func:`written_rules`)."""


def no_entry_cel(rule: str, field: str, test: str) -> str:
    """CEL: no entry ``e`` of list ``field`` of the policy rule at ``rule`` satisfies ``test``."""
    return f"!has({rule}.{field}) || !{rule}.{field}.exists(e, {test})"


def entries(rule: dict[str, Any], field: str) -> Iterator[tuple[int, str]]:
    """The string entries of one list field of a policy rule, with their indexes."""
    values = rule.get(field)
    if isinstance(values, list):
        for j, value in enumerate(values):
            if isinstance(value, str):
                yield j, value


def strings(rule: dict[str, Any], field: str) -> list[str]:
    return [value for _, value in entries(rule, field)]


def wildcard(field: str, value: str) -> Wildcard | None:
    """The kind of wildcard ``value`` is in ``field`` of a policy rule; None without ``*``."""
    if ALL not in value:
        return None
    if value == ALL:
        return Wildcard.ALL
    if field == "resources" and value.startswith("*/") and ALL not in value[2:]:
        return Wildcard.ANY_RESOURCE
    if field == "nonResourceURLs" and value.endswith(ALL):
        prefix = value.rstrip(ALL)
        if not prefix:  # "**" trims to the empty prefix, which every URL starts with
            return Wildcard.ALL
        if ALL not in prefix:
            return Wildcard.PREFIX
    return Wildcard.LITERAL


def describe_verbs(rule: dict[str, Any]) -> str:
    """The verbs of a rule for a message: ``every verb`` when they include ``*``."""
    verbs = strings(rule, "verbs")
    return "every verb" if ALL in verbs else ", ".join(verbs) or "no verb"


def describe_targets(rule: dict[str, Any]) -> str:
    """What a rule applies to, for a message: its resources, else its non-resource URLs."""
    resources = strings(rule, "resources")
    if resources:
        return "every resource" if ALL in resources else ", ".join(resources)
    urls = strings(rule, "nonResourceURLs")
    if urls:
        return "every non-resource URL" if ALL in urls else "non-resource URLs " + ", ".join(urls)
    return "no resource"
