"""Helm options of a run, apart from the renderer so that start-up does not load Helm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_MB = 2048


@dataclass(frozen=True)
class RenderOptions:
    """Helm options for rendering a chart.

    ``scenario_values`` are values files that are each rendered as a scenario of their
    own, beside the default values and the chart's ``ci/*-values.yaml`` files (from the
    configuration's per-chart ``values``).

    ``timeout_s`` and ``memory_mb`` bound each render: a chart is untrusted input, and
    one that loops or allocates without end must cost at most this, never the run.
    """

    values: tuple[Path, ...] = ()
    set_values: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None
    kube_version: str | None = None
    helm_binary: Path | None = None
    scenario_values: tuple[Path, ...] = ()
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB

    def scenario_names(self, chart_scenarios: list[str]) -> list[str]:
        """Every scenario a chart is rendered for: its own, then the configured files."""
        return [*chart_scenarios, *(path.as_posix() for path in self.scenario_values)]
