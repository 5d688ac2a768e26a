"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per finding.

GitHub turns these lines of a step's log into annotations on the changed files of a
pull request. Values are escaped as the runner decodes them: ``%``, CR and LF in the
message; additionally ``:`` and ``,`` in the properties, which are comma-separated
``key=value`` pairs. Columns follow SARIF: the end column is exclusive.
"""

from __future__ import annotations

from tokenlint.model import Finding, InputError, Location, Severity
from tokenlint.report.result import Report
from tokenlint.report.text import finding_details, summary

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}

INPUT_ERROR_TITLE = "tokenlint input error"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, properties: list[tuple[str, str | int]]) -> str:
    """One workflow command line, e.g. ``::error file=a.yaml,line=3::text``."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def _position(location: Location) -> list[tuple[str, str | int]]:
    props: list[tuple[str, str | int]] = [("file", location.path), ("line", location.line), ("col", location.column)]
    if location.end_line is not None:
        props.append(("endLine", location.end_line))
    if location.end_column is not None:
        props.append(("endColumn", location.end_column))
    return props


def annotation(finding: Finding) -> str:
    title = f"{finding.rule} {finding.name}"
    message = "\n".join([f"{finding.message} ({finding.resource.display()})", *finding_details(finding)])
    # A suppressed finding is shown only on request, and never as a failure.
    level = "notice" if finding.suppressed else LEVELS[finding.severity]
    return command(level, message, [*_position(finding.location), ("title", title)])


def error_annotation(error: InputError) -> str:
    props: list[tuple[str, str | int]] = [("file", error.path)] if error.path else []
    if error.line:
        props += [("line", error.line), ("col", error.column or 1)]
    return command("error", error.message, [*props, ("title", INPUT_ERROR_TITLE)])


def format_github(report: Report) -> str:
    """Annotations for input errors and visible findings, then the plain summary line."""
    lines = [error_annotation(e) for e in report.result.errors]
    lines += [annotation(f) for f in report.visible()]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
