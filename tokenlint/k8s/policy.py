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

from tokenlint.resources.resource import Resource

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


_READ_ONLY_PATHS = (
    "/api",
    "/apis",
    "/openapi",
    "/version",
    "/healthz",
    "/livez",
    "/readyz",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
)
"""Non-resource paths that only describe the API server: discovery (``/api``, ``/apis`` and
every group and version below them), OpenAPI, version, health, and the service account
issuer's public keys. Resource requests never match non-resource URLs, so ``/apis/*`` in
``nonResourceURLs`` reaches discovery documents only (``pkg/apis/rbac/v1/evaluation_helpers.go``
``NonResourceURLMatches``; ``system:discovery`` in the bootstrap policy grants exactly these)."""


def read_only_url(url: str) -> bool:
    """Whether a ``nonResourceURLs`` entry (trailing ``*`` a prefix) reaches only read-only paths."""
    path = url[:-1] if url.endswith(ALL) else url
    if ALL in path:
        return False
    path = path.rstrip("/") or "/"
    return any(path == p or path.startswith(p + "/") for p in _READ_ONLY_PATHS)


BUILTIN_API_GROUPS = frozenset({"", "apps", "autoscaling", "batch", "extensions", "policy"})
"""API groups Kubernetes itself serves without a ``k8s.io`` suffix."""


def custom_group(group: str) -> bool:
    """Whether ``group`` is a project's own API group (custom resources), not Kubernetes'.

    Groups ending in ``k8s.io`` belong to Kubernetes or its SIG projects (Gateway API,
    snapshots) and count as Kubernetes'.
    """
    return group != ALL and group not in BUILTIN_API_GROUPS and not group.endswith("k8s.io")
