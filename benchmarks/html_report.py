"""Measure the HTML report of a large input: its size, the time to write it, the browser's load time.

    python benchmarks/html_report.py CORPUS [--runs N]

Writes the report of CORPUS (for example the 319 rendered charts) with the installed
tokenlint, then loads it N times (default 5) in headless Chromium, offline, through the
same driver as the browser tests (scripts/browser.py), and prints the median load time
(navigation to the load event), the boxes and chains drawn, and the requests the page
made (only its own file). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from browser import Chromium, find_chromium  # noqa: E402

COUNTS = {
    "findings": "document.querySelectorAll('tr.finding').length",
    "boxes": "document.querySelectorAll('svg.graph g.node').length",
    "edges": "document.querySelectorAll('svg.graph path.edge').length",
    "chains": "document.querySelectorAll('tr[id^=chain-]').length",
    "graph": "(() => {const s = document.querySelector('svg.graph'); return s ? [s.width.baseVal.value,"
    " s.height.baseVal.value] : null})()",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    binary = find_chromium()
    if binary is None:
        print("chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        command = [sys.executable, "-m", "tokenlint", "lint", args.corpus, "--no-cache", "--format", "html"]
        started = time.perf_counter()
        done = subprocess.run([*command, "-o", str(page)], check=False, capture_output=True, text=True)
        written = time.perf_counter() - started
        if done.returncode not in (0, 1, 2):
            print(done.stderr, file=sys.stderr)
            return 1
        json_size = len(subprocess.run([*command[:-1], "json"], check=False, capture_output=True).stdout)
        loads = []
        with Chromium(binary) as browser:
            for _ in range(args.runs):
                loaded = browser.load(page, evaluate=COUNTS)
                loads.append(loaded.load_ms)
        size = page.stat().st_size
        print(f"report: {size / 1e6:.2f} MB (the JSON report: {json_size / 1e6:.2f} MB), written in {written:.2f} s")
        print(f"browser load (navigation to load event), median of {args.runs}: {statistics.median(loads):.0f} ms")
        print(f"  all runs: {', '.join(f'{ms:.0f}' for ms in loads)} ms")
        print("drawn: " + ", ".join(f"{k} {v}" for k, v in loaded.values.items()))
        print(f"requests: {loaded.requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
