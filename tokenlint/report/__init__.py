"""Reporters: pure functions from a lint result to text. They never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from tokenlint.report.github import format_github
from tokenlint.report.json import format_json
from tokenlint.report.result import Report
from tokenlint.report.sarif import format_sarif
from tokenlint.report.text import format_text

Formatter = Callable[[Report], str]


def format_html(report: Report) -> str:
    """The HTML page, imported when asked for: a pre-commit run does not pay for the page and its graph."""
    from tokenlint.report.html import format_html as page

    return page(report)


FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
    "html": format_html,
}
