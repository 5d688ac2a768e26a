"""Report only what touches the changed files, after judging them against everything else.

pre-commit passes a hook the files that changed, in any order, possibly split over several
invocations. A hook that linted only those files would judge a Deployment without the
ServiceAccount in the next file, and miss or invent cross-file findings. So the run lints
the whole context (the repository), exactly as a full run would, and this module then
keeps the findings that touch a changed file: located in it, or with a related location
(a link of a chain) in it. A changed file inside a Helm chart (a template, a values file,
``Chart.yaml``) puts the whole chart in scope, since any of them can change any rendered
object of the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tokenlint.engine.run import LintResult
from tokenlint.inputs.discover import STDIN_NAME, display_path
from tokenlint.model import Finding

CHART_FILE = "Chart.yaml"


@dataclass(frozen=True)
class ChangeScope:
    """Changed files and the chart folders that hold one, as the engine displays paths.

    The same scope serves ``--context`` without ``--changed-only``: the context is read to
    resolve accounts, bindings, roles and policies, and only findings located in the
    paths given as arguments (files, or folders and what is below them) are reported.
    ``context_only`` marks that use: a finding of the context with a link in those paths
    belongs to the context, and an input error anywhere is kept, since a context that
    cannot be read changes the answers.
    """

    files: frozenset[str]
    charts: tuple[str, ...]
    context_only: bool = False

    @classmethod
    def of(cls, paths: Sequence[str], context_only: bool = False) -> ChangeScope:
        files = frozenset(STDIN_NAME if p == "-" else display_path(Path(p)) for p in paths)
        charts = {chart for chart in map(_chart_of, files) if chart is not None}
        charts |= {f for f in files if Path(f).is_dir()}
        return cls(files, tuple(sorted(charts)), context_only)

    def touches(self, path: str) -> bool:
        return path in self.files or any(chart == "." or path.startswith(f"{chart}/") for chart in self.charts)

    def _keeps(self, finding: Finding) -> bool:
        if self.touches(finding.location.path):
            return True
        return not self.context_only and any(self.touches(r.location.path) for r in finding.related)

    def restrict(self, result: LintResult) -> LintResult:
        """The findings and input errors in scope; counts still describe the whole run."""
        return replace(
            result,
            findings=[f for f in result.findings if self._keeps(f)],
            errors=[e for e in result.errors if self.context_only or self.touches(e.path)],
        )


def _chart_of(path: str) -> str | None:
    """The nearest folder above ``path`` holding Chart.yaml ("." when the repository is a chart)."""
    for parent in Path(path).parents:
        if (parent / CHART_FILE).is_file():
            return parent.as_posix()
    return None
