"""The text report for people: findings grouped by file, then a summary line."""

from __future__ import annotations

from itertools import groupby

from tokenlint.model import Finding, Severity
from tokenlint.report.result import Report

_COLORS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_BOLD = "\033[1m"
_RESET = "\033[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def finding_details(finding: Finding) -> list[str]:
    """The lines under a finding's head: scenarios, location note, related places, suppression.

    Shared with the GitHub annotations so both formats tell the same story.
    """
    lines = []
    if finding.scenarios:
        lines.append(f"scenarios: {', '.join(finding.scenarios)}")
    if finding.location.note:
        lines.append(f"note: {finding.location.note}")
    for step, related in enumerate(finding.related, start=1):
        r = related.location
        marker = f"{step}." if finding.chain else "-"
        lines.append(f"{marker} {related.message} ({r.path}:{r.line}:{r.column})")
    if finding.suppression is not None:
        lines.append(f"suppressed ({finding.suppression.kind}): {finding.suppression.justification}")
    return lines


def _finding_lines(finding: Finding, color: bool) -> list[str]:
    loc = finding.location
    severity = _paint(finding.severity.label, _COLORS[finding.severity], color)
    where = f"{loc.path}:{loc.line}:{loc.column}"
    head = f"{where}: {finding.rule} [{severity}] {finding.message} ({finding.resource.display()})"
    return [head, *("    " + line for line in finding_details(finding))]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    """One line: unsuppressed findings by severity, suppressed, resources, files, errors."""
    result = report.result
    counts = dict.fromkeys(Severity, 0)
    for finding in result.findings:
        if not finding.suppressed:
            counts[finding.severity] += 1
    by_severity = ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True) if n)
    suppressed = sum(1 for f in result.findings if f.suppressed)
    line = _plural(sum(counts.values()), "finding")
    if by_severity:
        line += f" ({by_severity})"
    if suppressed:
        line += f", {suppressed} suppressed"
    line += (
        f" in {_plural(result.resources, 'resource')} from {_plural(result.files, 'file')}"
        f"; {_plural(len(result.errors), 'error')}"
    )
    if result.skipped:
        line += f"; {_plural(result.skipped, 'document')} without apiVersion/kind skipped"
    if result.notices:
        line += f"; {_plural(len(result.notices), 'GitOps source')} not linted"
    return line


def format_text(report: Report) -> str:
    color = report.color
    out: list[str] = []
    for error in report.result.errors:
        where = error.path + (f":{error.line}:{error.column or 1}" if error.line else "")
        out.append(f"{where}: {_paint('error', _COLORS[Severity.HIGH], color)} {error.message}")
    for notice in report.result.notices:
        where = notice.path + (f":{notice.line}:{notice.column or 1}" if notice.line else "")
        out.append(f"{where}: note {notice.message}")
    if report.result.errors or report.result.notices:
        out.append("")
    findings = report.visible()
    for path, group in groupby(findings, key=lambda f: f.location.path):
        out.append(_paint(path, _BOLD, color))
        for finding in group:
            out.extend("  " + line for line in _finding_lines(finding, color))
        out.append("")
    out.append(summary(report))
    return "\n".join(out) + "\n"
