"""Rendering is bounded: a chart that runs away costs its limit, never the run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.inputs.helm.options import RenderOptions
from tokenlint.inputs.helm.process import OUTPUT_LIMIT, WorkerRenderer, pick_renderer
from tokenlint.inputs.helm.render import render_chart

CHARTS = Path(__file__).parent / "charts"
RUNAWAY = Path(__file__).parent / "runaway"  # not among the charts other tests walk


def test_one_child_renders_every_chart_of_a_run() -> None:
    options = RenderOptions(timeout_s=30)
    worker = pick_renderer(options)
    assert isinstance(worker, WorkerRenderer)
    started = worker.started
    for chart in ("webapp", "platform", "glued"):
        renders, errors = render_chart(CHARTS / chart, options)
        assert renders
        assert errors == []
    assert worker.started <= started + 1


def test_a_render_past_the_time_limit_gives_the_chart_up_and_the_next_chart_renders() -> None:
    options = RenderOptions(timeout_s=2)
    start = time.perf_counter()
    renders, errors = render_chart(RUNAWAY, options)
    elapsed = time.perf_counter() - start
    assert renders == []
    assert [(e.path, e.line, e.message, e.scenario) for e in errors] == [
        (RUNAWAY.as_posix(), None, "chart given up: rendering took longer than the time limit of 2 s", "default")
    ]
    assert elapsed < 10
    renders, errors = render_chart(CHARTS / "webapp", options)
    assert [r.scenario for r in renders] == ["default", "ci/hardened-values.yaml", "ci/legacy-values.yaml"]
    assert errors == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory limit is the Linux data segment limit")
def test_a_render_past_the_memory_limit_gives_the_chart_up() -> None:
    # Each repetition is 100 bytes: 1 TB of output would follow; 300 MB is reached in a second.
    options = RenderOptions(timeout_s=60, memory_mb=300, set_values=("text=" + "x" * 100,))
    start = time.perf_counter()
    renders, errors = render_chart(RUNAWAY, options)
    assert renders == []
    assert [e.message for e in errors] == ["chart given up: rendering used more than the memory limit of 300 MB"]
    assert time.perf_counter() - start < 30


def test_output_past_the_output_limit_is_refused() -> None:
    repeat = OUTPUT_LIMIT // 1000 + 1
    options = RenderOptions(timeout_s=60, set_values=(f"repeat={repeat}", "inner=1", "text=" + "x" * 1000))
    renders, errors = render_chart(RUNAWAY, options)
    assert renders == []
    assert [e.message for e in errors] == [f"chart given up: rendered output is larger than {OUTPUT_LIMIT >> 20} MB"]


def test_a_runaway_chart_is_an_input_error_and_the_other_inputs_are_reported(at_root: None) -> None:
    charts = "tests/helm/charts"
    argv = [
        "lint",
        "tests/helm/runaway",
        f"{charts}/webapp",
        "--render-timeout",
        "2",
        "--select",
        "TL003",
        "--no-cache",
    ]
    done = CliRunner().invoke(app, argv)
    assert done.exit_code == 2
    lines = done.output.splitlines()
    assert "tests/helm/runaway: error chart given up: rendering took longer than the time limit of 2 s" in lines
    assert any(line.startswith(f"  {charts}/webapp/templates/role.yaml:9:14: TL003 ") for line in lines)


def test_the_helm_binary_is_bounded_too(helm_on_path: Path) -> None:
    renders, errors = render_chart(RUNAWAY, RenderOptions(helm_binary=helm_on_path, timeout_s=2))
    assert renders == []
    assert [e.message for e in errors] == ["chart given up: helm template took longer than the time limit of 2 s"]
