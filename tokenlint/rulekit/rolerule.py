"""The shape shared by TL003 and TL004: a check of each written rule of each role, weighed by use.

A wildcard in a role nobody binds is one RoleBinding away from being live, so it is still
reported, at low severity, as the capability rules TL101-TL112 do. A rule whose API groups
are all the project's own (custom resources, see :func:`~tokenlint.k8s.policy.custom_group`)
is low as well: a wildcard there reaches the project's own objects, not Secrets, pods or
RBAC. The message says which of the two applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.policy import custom_group, strings, written_rules
from tokenlint.k8s.reach import reach_of
from tokenlint.model import Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import BundleRule


@dataclass(frozen=True)
class Weight:
    """How much one written rule matters: a severity cap (None: the rule's own) and why."""

    severity: Severity | None
    note: str


def weighed_rules(index: BundleIndex) -> Iterator[tuple[Resource, int, dict[str, Any], Weight]]:
    """Every written rule of every Role and ClusterRole of ``index``, with its weight."""
    reach = reach_of(index)
    for resource in index.written_roles:
        bound = bool(reach.bindings_of_role(resource))
        for i, rule in written_rules(resource):
            groups = strings(rule, "apiGroups")
            if groups and all(custom_group(g) for g in groups):
                owned = ", ".join(groups)
                yield resource, i, rule, Weight(Severity.LOW, f"; it only names custom resources of {owned}")
            elif not bound:
                yield resource, i, rule, Weight(Severity.LOW, "; no binding in this bundle uses the role")
            else:
                yield resource, i, rule, Weight(None, "")


class RoleBundleRule(BundleRule):
    """A rule over the written rules of roles, run once per bundle so that it knows their bindings."""
