"""What reporters receive: the lint result plus the context needed to present it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tokenlint.engine.run import LintResult
from tokenlint.model import Finding, Severity
from tokenlint.rulekit.registry import RuleSet

if TYPE_CHECKING:  # the fix stage loads ruamel.yaml's round-trip code: only SARIF runs pay for it
    from tokenlint.fix.suggest import Suggestion


@dataclass(frozen=True)
class Report:
    """A finished run: findings, errors, the rules that ran and how to present them."""

    result: LintResult
    rules: RuleSet
    fail_on: Severity = Severity.LOW
    color: bool = False
    show_suppressed: bool = False
    suggestions: Mapping[str, Suggestion] = field(default_factory=dict)
    """Suggested changes by finding fingerprint (computed only for SARIF)."""

    def visible(self) -> list[Finding]:
        """Findings to show: suppressed ones only when asked for."""
        findings = self.result.findings
        return findings if self.show_suppressed else [f for f in findings if not f.suppressed]

    def failing(self) -> list[Finding]:
        """Findings that make the run fail: unsuppressed and at or above ``fail_on``."""
        return [f for f in self.result.findings if not f.suppressed and f.severity >= self.fail_on]

    def exit_code(self) -> int:
        """0 clean, 1 findings at or above the failing severity, 2 input errors (wins)."""
        if self.result.errors:
            return 2
        return 1 if self.failing() else 0
