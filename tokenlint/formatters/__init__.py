"""Reporters: pure functions from a lint result to text. They never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from tokenlint.formatters.github import format_github
from tokenlint.formatters.json import format_json
from tokenlint.formatters.sarif import format_sarif
from tokenlint.formatters.text import format_text
from tokenlint.report import Report

Formatter = Callable[[Report], str]


def format_html(report: Report) -> str:
    """The HTML page, imported when asked for: a pre-commit run does not pay for the page and its graph."""
    from tokenlint.formatters.html import format_html as page

    return page(report)


FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
    "html": format_html,
}
