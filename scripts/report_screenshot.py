"""Make docs/report.png, the README's picture of the HTML report, the way the browser tests see it.

    python scripts/report_screenshot.py [OUTPUT.png]

Lints examples/acme-shop into an HTML report and has headless Chromium (the system's
``chromium``, offline) draw the top of the page: the summary and the attack graph from the
API pod to the secrets it can read. The browser tests call :func:`screenshot` too, so the
committed picture is the one a test run makes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from browser import Chromium, Loaded, find_chromium

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "report.png"
WIDTH = 1280


def report(inputs: list[str], page: Path, *options: str) -> None:
    """Write the HTML report of ``inputs`` to ``page`` with the installed tokenlint (exit 0 or 1)."""
    # -P: the checkout's own tokenlint/ folder must not shadow the installed package, which
    # alone holds the built-in rules (tokenlint.rules) when installed without -e.
    command = [
        sys.executable,
        "-P",
        "-m",
        "tokenlint",
        "lint",
        *inputs,
        "--no-cache",
        "--format",
        "html",
        "-o",
        str(page),
    ]
    done = subprocess.run([*command, *options], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"tokenlint exited {done.returncode}: {done.stderr}")


def screenshot(browser: Chromium, page: Path, picture: Path) -> Loaded:
    """The summary and the attack graph of ``page``, as a reader of a 1280-pixel window sees them."""
    return browser.load(page, width=WIDTH, height=900, screenshot=picture, until="#graph .graph-wrap")


def main(argv: list[str]) -> int:
    binary = find_chromium()
    if binary is None:
        print("chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    picture = Path(argv[0]) if argv else PICTURE
    with tempfile.TemporaryDirectory() as folder, Chromium(binary) as browser:
        page = Path(folder) / "report.html"
        report(["examples/acme-shop"], page)
        screenshot(browser, page, picture)
    print(f"wrote {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
