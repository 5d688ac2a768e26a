#!/usr/bin/env python3
"""Measure ``tokenlint lint`` as a whole process against the floor of its input.

The floor is what ruamel.yaml's C event parser needs just to read the same bytes; the
target is a whole tokenlint run (interpreter start-up included) within 2x that floor,
memory under 600 MB for 50,000 documents, and time linear in documents.

usage: bench.py CORPUS_DIR [--repeat N] [--sizes 10000,50000] [--keep DIR]

CORPUS_DIR is a folder of rendered charts (such as the project's shared corpus
``rendered/``); bundles of N documents are made from it with ``make_bundle.py``
found beside it (``CORPUS_DIR/../make_bundle.py``) or given with ``--make-bundle``.
Nothing here asserts: it prints a table, and ``--json FILE`` keeps the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

FLOOR_SCRIPT = """
import sys, time
from pathlib import Path
from _ruamel_yaml import CParser
start = time.perf_counter()
paths = []
for arg in sys.argv[1:]:
    p = Path(arg)
    paths += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
events = 0
for path in paths:
    parser = CParser(path.read_bytes())
    while parser.check_event():
        parser.get_event()
        events += 1
print(time.perf_counter() - start, events)
"""


@dataclass
class Measure:
    """One case: the floor (parse only, in-process) and tokenlint as a whole process."""

    case: str
    documents: int
    floor_s: float
    floor_process_s: float
    tokenlint_s: float
    peak_mb: float
    exit_code: int

    @property
    def ratio(self) -> float:
        return self.tokenlint_s / self.floor_s


def _run(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall time, peak RSS in MB and exit code of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode, out


def _documents(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            count += sum(1 for line in file.read_bytes().splitlines() if line.startswith(b"kind:"))
    return count


def measure(case: str, paths: list[Path], repeat: int, extra: list[str]) -> Measure:
    floors, floor_procs, runs, peaks = [], [], [], []
    code = 0
    for _ in range(repeat):
        wall, _, _, out = _run([sys.executable, "-c", FLOOR_SCRIPT, *map(str, paths)])
        floors.append(float(out.split()[0]))
        floor_procs.append(wall)
        wall, peak, code, _ = _run(
            [sys.executable, "-m", "tokenlint", "lint", "--format", "json", *extra, *map(str, paths)]
        )
        runs.append(wall)
        peaks.append(peak)
    return Measure(
        case,
        _documents(paths),
        statistics.median(floors),
        statistics.median(floor_procs),
        statistics.median(runs),
        max(peaks),
        code,
    )


def make_bundle(script: Path, size: int, folder: Path) -> Path:
    out = folder / f"bundle-{size}.yaml"
    if not out.exists():
        subprocess.run([sys.executable, str(script), str(size), str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of rendered manifests")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10000,50000", help="bundle sizes in documents; empty for none")
    parser.add_argument("--make-bundle", type=Path, help="make_bundle.py (default: beside the corpus folder)")
    parser.add_argument("--keep", type=Path, help="folder for generated bundles (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    script = args.make_bundle or args.corpus.resolve().parent / "make_bundle.py"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases = [("corpus", [args.corpus])]
        cases += [(f"bundle-{n}", [make_bundle(script, n, folder)]) for n in sizes]
        results = [measure(name, paths, args.repeat, []) for name, paths in cases]

    print(f"{'case':<14}{'docs':>8}{'floor s':>10}{'floor+py s':>12}{'tokenlint s':>13}{'ratio':>8}{'peak MB':>10}")
    for m in results:
        print(
            f"{m.case:<14}{m.documents:>8}{m.floor_s:>10.2f}{m.floor_process_s:>12.2f}"
            f"{m.tokenlint_s:>13.2f}{m.ratio:>8.2f}{m.peak_mb:>10.0f}"
        )
    by_case = {m.case: m for m in results}
    if "bundle-10000" in by_case and "bundle-50000" in by_case:
        scale = by_case["bundle-50000"].tokenlint_s / by_case["bundle-10000"].tokenlint_s
        print(f"50k / 10k time: {scale:.2f} (linear would be 5.0; target <= 5.5)")
    if args.json:
        args.json.write_text(json.dumps([asdict(m) | {"ratio": m.ratio} for m in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
