#!/usr/bin/env python3
"""Measure ``tokenlint lint`` as a whole process against the floor of its input.

The floor is what ruamel.yaml's C event parser needs just to read the same bytes; the
target is a whole tokenlint run (interpreter start-up included) within 2x that floor,
memory under 600 MB for 50,000 documents, and time linear in documents.

usage: bench.py CORPUS_DIR [--repeat N] [--sizes 10000,50000] [--keep DIR] [--charts CHARTS_DIR]

CORPUS_DIR is a folder of rendered charts (such as the project's shared corpus
``rendered/``); bundles of N documents are made from it with ``make_bundle.py``
found beside it (``CORPUS_DIR/../make_bundle.py``) or given with ``--make-bundle``.
Runs use ``--no-cache`` so that every run parses everything.

More cases measure the other features: a Helm chart of 30 templates rendered by the
embedded SDK and linted (target: well under a second), with ``--charts`` every chart
folder of CHARTS_DIR (such as the project's shared ``charts/``) in one run, and the RBAC
bundle of
``make_rbac_bundle.py`` (5,000 service accounts and bindings, 10,000 workloads) with
and without the reach rules (target: they add at most 30%). The pre-commit cache has
its own script, ``precommit_cache.py``. A kustomize tree of 20 overlays over two shared
bases measures rendering (one kustomize process per root, run in parallel) against the
same renders run one after another.

Nothing here asserts: it prints tables, and ``--json FILE`` keeps the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


LINT = [sys.executable, "-m", "tokenlint", "lint", "--format", "json", "--no-cache"]
HERE = Path(__file__).resolve().parent


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
        wall, peak, code, _ = _run([*LINT, *extra, *map(str, paths)])
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


def timed(argv: list[str], repeat: int) -> float:
    """Median wall time of a whole process."""
    return statistics.median(_run(argv)[0] for _ in range(repeat))


def make_chart(folder: Path, templates: int) -> Path:
    """A chart of ``templates`` templates: workloads, accounts, roles and bindings."""
    chart = folder / "chart-30"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: registry.example/app:1.0\nreplicas: 2\nautomount: true\n")
    kinds = [_CHART_DEPLOYMENT, _CHART_ACCOUNT, _CHART_ROLE]
    for i in range(templates):
        text = kinds[i % len(kinds)].replace("NAME", f"app{i}")
        (chart / "templates" / f"t{i:02d}.yaml").write_text(text)
    return chart


_CHART_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-NAME
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: NAME}
  template:
    metadata:
      labels: {app: NAME}
    spec:
      serviceAccountName: {{ .Release.Name }}-NAME
      automountServiceAccountToken: {{ .Values.automount }}
      containers:
        - name: NAME
          image: {{ .Values.image | quote }}
"""
_CHART_ACCOUNT = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-NAME
"""
_CHART_ROLE = """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .Release.Name }}-NAME
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get", "list"]
"""


def chart_case(folder: Path, repeat: int) -> None:
    chart = make_chart(folder, 30)
    startup = timed([sys.executable, "-m", "tokenlint", "--version"], repeat)
    whole = timed([*LINT, str(chart)], repeat)
    print(f"\nchart of 30 templates: tokenlint lint {whole:.2f} s (start-up alone {startup:.2f} s)")


def charts_case(charts: Path) -> None:
    """Every chart of a folder of real charts in one run: one rendering process for all."""
    wall, peak, code, out = _run([*LINT, str(charts)])
    report = json.loads(out) if out.strip() else {"findings": [], "errors": []}
    count = sum(1 for chart in charts.rglob("Chart.yaml") if chart.parent.parent.name != "charts")
    print(
        f"\nall charts of {charts} ({count} chart folders) in one run: {wall:.1f} s, peak {peak:.0f} MB, "
        f"exit {code}, {len(report['findings'])} findings, {len(report['errors'])} errors"
    )


def rbac_case(folder: Path, repeat: int) -> None:
    out = folder / "rbac"
    if not out.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_rbac_bundle.py"), str(out)], check=True, stdout=subprocess.DEVNULL
        )
    plain = timed([*LINT, str(out / "plain")], repeat)
    without = timed([*LINT, "--ignore", "TL001,TL1,TL201", str(out / "rbac")], repeat)
    core = timed([*LINT, "--ignore", "TL1,TL201", str(out / "rbac")], repeat)
    full = timed([*LINT, str(out / "rbac")], repeat)
    print(
        f"\nRBAC bundle: twin without RBAC objects {plain:.2f} s; without any rule that computes reach "
        f"{without:.2f} s; core rules TL0xx (TL001 ranks by reach) {core:.2f} s; every rule {full:.2f} s.\n"
        f"Every rule adds {100 * (full / plain - 1):.0f}% over the twin, {100 * (full / without - 1):.0f}% over "
        f"no reach at all, {100 * (full / core - 1):.0f}% over the core rules."
    )


_KUSTOMIZE_BASE = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: {name}
      containers:
        - name: {name}
          image: registry.example/{name}:1.0
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {name}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {name}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {name}
subjects:
  - kind: ServiceAccount
    name: {name}
"""


def make_kustomize_tree(folder: Path, overlays: int) -> Path:
    """Two shared bases and ``overlays`` overlays over both, each with its namespace,
    name prefix and a patch."""
    root = folder / "kustomize"
    for base in ("api", "worker"):
        (root / "bases" / base).mkdir(parents=True, exist_ok=True)
        (root / "bases" / base / "kustomization.yaml").write_text("resources:\n  - objects.yaml\n")
        (root / "bases" / base / "objects.yaml").write_text(_KUSTOMIZE_BASE.format(name=base))
    for i in range(overlays):
        overlay = root / "overlays" / f"env-{i:02d}"
        overlay.mkdir(parents=True, exist_ok=True)
        (overlay / "kustomization.yaml").write_text(
            f"namespace: env-{i:02d}\nnamePrefix: e{i:02d}-\nresources:\n  - ../../bases/api\n"
            "  - ../../bases/worker\npatches:\n  - path: automount.yaml\n"
        )
        (overlay / "automount.yaml").write_text(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n"
            f"automountServiceAccountToken: {'false' if i % 2 else 'true'}\n"
        )
    return root


def kustomize_case(folder: Path, repeat: int) -> None:
    """20 overlays over shared bases, as a whole process, beside the renders run one by one."""
    tree = make_kustomize_tree(folder, 20)
    renderer = shutil.which("kustomize")
    build = [renderer, "build"] if renderer else [shutil.which("kubectl") or "kubectl", "kustomize"]
    overlays = sorted((tree / "overlays").iterdir())
    serial = statistics.median(sum(_run([*build, str(o)])[0] for o in overlays) for _ in range(repeat))
    whole = timed([*LINT, str(tree)], repeat)
    print(
        f"\nkustomize tree of {len(overlays)} overlays over 2 bases: tokenlint lint {whole:.2f} s"
        f" (roots rendered in parallel); the {len(overlays)} renders one after another take {serial:.2f} s"
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
    parser.add_argument("--charts", type=Path, help="also lint every chart folder of this folder in one run")
    parser.add_argument("--skip", default="", help="comma-separated cases to skip: corpus, chart, rbac, kustomize")
    args = parser.parse_args()

    script = args.make_bundle or args.corpus.resolve().parent / "make_bundle.py"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases = [] if "corpus" in args.skip else [("corpus", [args.corpus])]
        cases += [(f"bundle-{n}", [make_bundle(script, n, folder)]) for n in sizes]
        results = [measure(name, paths, args.repeat, []) for name, paths in cases]
        if "chart" not in args.skip:
            chart_case(folder, args.repeat)
        if "rbac" not in args.skip:
            rbac_case(folder, args.repeat)
        if "kustomize" not in args.skip:
            kustomize_case(folder, args.repeat)
        if args.charts:
            charts_case(args.charts)

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
