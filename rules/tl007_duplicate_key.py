"""TL007 duplicate-key: a key written twice in one mapping of a resource.

The reader keeps the last value, as the YAML decoders behind kubectl and Helm do, so a
reviewer who reads the first one sees a setting that is not applied: an
``automountServiceAccountToken: false`` followed further down by ``true`` looks safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import Exported, NotExportable
from tokenlint.model import Severity, dotted
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta, page_beside

NAME = "duplicate-key"


class Rule(ResourceRule):
    """Only the last of several values counts, and reviewers read the first."""

    meta = RuleMeta(
        id="TL007",
        name=NAME,
        severity=Severity.MEDIUM,
        summary="a key written twice in one mapping: only the last value is evaluated",
        help_path=page_beside(__file__, NAME),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        return NotExportable("a duplicate key does not survive decoding: the API server receives the last value")

    def check(self, resource: Resource, ctx: Context) -> None:
        for duplicate in resource.duplicates:
            first, second = duplicate.first, duplicate.second
            # Flow mappings ({a: 1, a: 2}) repeat a key on one line: the columns tell them apart.
            same_line = first[0] == second[0]
            where = [f"line {line}" + (f" column {column}" if same_line else "") for line, column in (first, second)]
            ctx.report(
                resource,
                duplicate.path,
                f"duplicate key {dotted(duplicate.path)}: written on {where[0]} and again on {where[1]}; "
                "the last value written is the one evaluated, as in Kubernetes; keep only one",
                # The field path resolves to the last occurrence; this one may be an earlier repeat.
                at=duplicate.second,
            )
