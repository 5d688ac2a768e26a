#!/usr/bin/env python3
"""Check chart mode against real charts: a chart's findings must equal its render's.

usage: charts.py CHARTS_DIR RENDERED_DIR [--only NAME ...] [--jobs N] [--vendor] [--json FILE]

CHARTS_DIR holds chart sources as ``<owner>+<repo>/<chart>/`` (dependencies vendored
in each chart's ``charts/``); RENDERED_DIR holds the render of each chart with its
default values, release name and namespace both ``<chart>``, as
``<owner>+<repo>__<chart>.yaml``. For every chart this runs, as a user would,

    tokenlint lint CHART --release-name <chart> -n <chart>
    tokenlint lint RENDER -n <chart>

and compares their findings by (rule, kind, namespace, name), counted: a rule that fires
twice on one resource must fire twice in both. Findings that only ``ci/`` scenarios
produce are left out (the render has the default values only), unless the default values
fail on the chart's own check: then the render was made with the values of a ``ci/``
scenario, and the closest scenario is compared. A chart agrees when both multisets are
equal and neither run reports an input error other than the chart's own (a ``required``
or ``fail`` in its templates, or its ``values.schema.json``, for a scenario).

``--vendor`` fills in dependencies that a chart declares but does not carry in
``charts/`` (a chart whose ``.gitignore`` lists ``charts/`` loses them when copied with
git), from the chart folders that ``CHARTS_DIR/build_log.json`` names as their source,
in a temporary copy of the chart.

It prints one block per chart that differs, then the count that agree; it asserts
nothing. ``--json FILE`` keeps every chart's outcome.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

LINT = [sys.executable, "-m", "tokenlint", "lint", "--format", "json", "--no-cache"]
Key = tuple[str, str, str, str]


@dataclass
class Outcome:
    """One chart compared with its render."""

    chart: str
    only_chart: list[str] = field(default_factory=list)
    only_render: list[str] = field(default_factory=list)
    chart_errors: list[str] = field(default_factory=list)
    render_errors: list[str] = field(default_factory=list)
    findings: int = 0
    scenario: str = "default"
    vendored: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not (self.only_chart or self.only_render or self.render_errors or self.tokenlint_errors)

    @property
    def tokenlint_errors(self) -> list[str]:
        """Chart errors that are not the chart's own ``required``/``fail`` for a scenario."""
        return [e for e in self.chart_errors if not _charts_own(e)]


def _charts_own(error: str) -> bool:
    """The chart refuses its values: a ``fail`` or ``required`` in a template (Helm calls it
    an execution error of the template) or its ``values.schema.json``."""
    return "execution error at (" in error or "don't meet the specifications of the schema" in error


def charts(root: Path) -> list[tuple[str, Path]]:
    """``(<owner>+<repo>/<chart>, folder)`` of every chart folder, sorted."""
    return sorted(
        (f"{chart.parent.name}/{chart.name}", chart) for chart in root.glob("*/*") if (chart / "Chart.yaml").is_file()
    )


def _lint(argv: list[str]) -> tuple[list[dict[str, object]], list[str]]:
    done = subprocess.run([*LINT, *argv], capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return [], [f"no JSON report: {tail[0]}"]
    errors = [f"{e['path']}:{e.get('line')}: {' '.join(e['message'].split())}" for e in report["errors"]]
    return report["findings"], errors


def _keys(findings: list[dict[str, object]], scenario: str | None) -> Counter[Key]:
    """The findings of one scenario (None: every finding) as counted keys."""
    keys: Counter[Key] = Counter()
    for finding in findings:
        scenarios = finding.get("scenario")
        if scenario is not None and isinstance(scenarios, list) and scenario not in scenarios:
            continue
        resource = finding["resource"]
        assert isinstance(resource, dict)
        keys[(str(finding["rule"]), resource["kind"], resource.get("namespace") or "", resource["name"])] += 1
    return keys


def _scenarios(findings: list[dict[str, object]]) -> list[str]:
    named = {s for f in findings if isinstance(f.get("scenario"), list) for s in f["scenario"]}  # type: ignore[union-attr]
    return sorted(named - {"default"})


def _listed(counter: Counter[Key]) -> list[str]:
    return sorted(" ".join(k) + (f" x{n}" if n > 1 else "") for k, n in counter.items())


def compare(name: str, chart: Path, render: Path) -> Outcome:
    release = chart.name
    outcome = Outcome(name)
    if not render.is_file():
        outcome.render_errors.append(f"no render {render.name}")
        return outcome
    chart_findings, outcome.chart_errors = _lint([str(chart), "--release-name", release, "-n", release])
    render_findings, outcome.render_errors = _lint([str(render), "-n", release])
    theirs = _keys(render_findings, None)
    outcome.findings = sum(theirs.values())
    mine = _keys(chart_findings, "default")
    if any(_charts_own(e) and "(values scenario default)" in e for e in outcome.chart_errors):
        # The default values fail on the chart's own check, so the render was made with
        # the values of one ci/ scenario: compare with the scenario closest to it.
        closest = min(
            _scenarios(chart_findings) or ["default"],
            key=lambda s: sum(((_keys(chart_findings, s) - theirs) + (theirs - _keys(chart_findings, s))).values()),
        )
        outcome.scenario = closest
        mine = _keys(chart_findings, closest)
    outcome.only_chart = _listed(mine - theirs)
    outcome.only_render = _listed(theirs - mine)
    return outcome


def vendored(chart: Path, log: list[dict[str, object]], folder: Path) -> tuple[Path, list[str]]:
    """``chart`` itself, or a copy in ``folder`` with its missing dependencies added."""
    record = next((r for r in log if f"{r['repo']}/{r['chart']}" == f"{chart.parent.name}/{chart.name}"), None)
    deps = record.get("deps_vendored", []) if record else []
    assert isinstance(deps, list)
    missing = [d for d in deps if d.get("depth") == 0 and not (chart / "charts" / str(d["dep"])).exists()]
    sources = []
    for dep in missing:
        repo, _, path = str(dep["from"]).partition(":")
        source = chart.parent.parent / repo / Path(path).name
        if (source / "Chart.yaml").is_file():
            sources.append((str(dep["dep"]), source))
    if not sources:
        return chart, []
    copy = folder / chart.name
    shutil.copytree(chart, copy, symlinks=True)
    for name, source in sources:
        shutil.copytree(source, copy / "charts" / name, symlinks=True)
    return copy, [f"{name} from {source.parent.name}/{source.name}" for name, source in sources]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("charts", type=Path, help="folder of <owner>+<repo>/<chart>/ chart sources")
    parser.add_argument("rendered", type=Path, help="folder of <owner>+<repo>__<chart>.yaml renders")
    parser.add_argument("--only", nargs="*", default=[], help="chart names (or <owner>+<repo>/<chart>) to check")
    parser.add_argument("--jobs", type=int, default=1, help="charts checked at once")
    parser.add_argument("--vendor", action="store_true", help="add missing dependencies (see above)")
    parser.add_argument("--json", type=Path, help="also write every outcome to this file")
    args = parser.parse_args()
    log_file = args.charts / "build_log.json"
    log = json.loads(log_file.read_text()) if args.vendor and log_file.is_file() else []

    selected = [
        (name, chart)
        for name, chart in charts(args.charts)
        if not args.only or name in args.only or chart.name in args.only
    ]

    def one(item: tuple[str, Path]) -> Outcome:
        name, chart = item
        with tempfile.TemporaryDirectory() as tmp:
            chart, added = vendored(chart, log, Path(tmp)) if log else (chart, [])
            outcome = compare(name, chart, args.rendered / f"{name.replace('/', '__')}.yaml")
        outcome.vendored = added
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(one, selected))
    for o in outcomes:
        if o.agrees and not o.chart_errors:
            continue
        print(f"{o.chart}: {'agrees' if o.agrees else 'DIFFERS'} ({o.findings} findings in the render, {o.scenario})")
        for label, lines in (
            ("only in chart mode", o.only_chart),
            ("only in the render", o.only_render),
            ("chart error", o.chart_errors),
            ("render error", o.render_errors),
            ("vendored", o.vendored),
        ):
            for line in lines:
                print(f"  {label}: {line}")
    agree = sum(o.agrees for o in outcomes)
    print(f"\n{agree} of {len(outcomes)} charts agree with their renders")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) | {"agrees": o.agrees} for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
