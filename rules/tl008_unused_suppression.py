"""TL008 unused-suppression: a suppression that suppresses nothing.

An ignore that outlived its finding (the workload was fixed, the rule changed, the
resource was renamed) would silently hide the next real finding on that resource, and a
misspelt one never worked at all. Reporting them keeps suppressions few and meaningful.
The findings come from :mod:`tokenlint.engine.suppress`, after every other rule has run.
"""

from __future__ import annotations

from tokenlint.engine.suppress import UNUSED_RULE, SuppressionRule
from tokenlint.model import Severity
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "unused-suppression"


class Rule(SuppressionRule):
    """Stale and broken suppressions hide future findings or never worked."""

    meta = RuleMeta(
        id=UNUSED_RULE,
        name=NAME,
        severity=Severity.LOW,
        summary="a suppression that matches no finding, names no known rule, or is malformed",
        help_path=page_beside(__file__, NAME),
    )
