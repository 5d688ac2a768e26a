"""Helm options of a run, apart from the renderer so that start-up does not load Helm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderOptions:
    """Helm options for rendering a chart.

    ``scenario_values`` are values files that are each rendered as a scenario of their
    own, beside the default values and the chart's ``ci/*-values.yaml`` files (from the
    configuration's per-chart ``values``).
    """

    values: tuple[Path, ...] = ()
    set_values: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None
    kube_version: str | None = None
    helm_binary: Path | None = None
    scenario_values: tuple[Path, ...] = ()

    def scenario_names(self, chart_scenarios: list[str]) -> list[str]:
        """Every scenario a chart is rendered for: its own, then the configured files."""
        return [*chart_scenarios, *(path.as_posix() for path in self.scenario_values)]
