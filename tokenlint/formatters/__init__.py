"""Reporters: pure functions from a lint result to text. They never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from tokenlint.formatters.json import format_json
from tokenlint.formatters.text import format_text
from tokenlint.report import Report

Formatter = Callable[[Report], str]

FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
}
