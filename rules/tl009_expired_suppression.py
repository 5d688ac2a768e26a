"""TL009 expired-suppression: a suppression whose ``until`` date has passed.

A dated suppression is a promise to fix the finding by then. After the date it no longer
applies, so the finding it covered is reported again, and this rule says why it came back.
The findings come from :mod:`tokenlint.engine.suppress`, after every other rule has run.
"""

from __future__ import annotations

from tokenlint.engine.suppress import EXPIRED_RULE, SuppressionRule
from tokenlint.model import Severity
from tokenlint.rulekit.rule import RuleMeta, page_beside

NAME = "expired-suppression"


class Rule(SuppressionRule):
    """An expired suppression is a deadline that passed; the finding is back."""

    meta = RuleMeta(
        id=EXPIRED_RULE,
        name=NAME,
        severity=Severity.LOW,
        summary="a suppression whose 'until' date has passed: it no longer applies",
        help_path=page_beside(__file__, NAME),
    )
