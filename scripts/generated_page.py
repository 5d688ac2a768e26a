"""What every page generator in scripts/ does with its page: write it, or with ``--check`` say it is stale.

A generated page is only trustworthy while it matches its source, so the same command that
writes it can also refuse a page that was edited by hand or left behind by a change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_or_check(page: Path, text: str, script: str, argv: list[str]) -> int:
    """Write ``text`` to ``page``; with ``--check`` leave it alone and exit 1 when it differs."""
    if "--check" in argv:
        if page.read_text(encoding="utf-8") != text:
            command = Path(script).resolve().relative_to(ROOT)
            print(f"{page.relative_to(ROOT)} is stale: run python {command}", file=sys.stderr)
            return 1
        return 0
    page.write_text(text, encoding="utf-8")
    return 0
