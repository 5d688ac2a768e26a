"""Render a chart for each values scenario and map the output back to template files.

Raw templates are not YAML, so charts are rendered, never parsed file by file, by real
Helm under a time and memory limit (:mod:`tokenlint.inputs.helm.process`). Nothing touches a
cluster or the network: dependencies must already be in ``charts/`` (a missing one is an
input error, never fetched).

Each chart is rendered once per values scenario: the default values, plus each
chart-testing file ``ci/*-values.yaml``. Values are applied in this order, later
winning: the chart's own ``values.yaml``, ``--values`` files, the scenario file,
then ``--set`` expressions.

To point findings at template lines, a second render of a marked copy of the chart
is read back (see :mod:`tokenlint.inputs.helm.linemap`); its output is only used for positions,
and only where it lines up with the real render.
"""

from __future__ import annotations

import contextlib
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tokenlint.inputs.helm.errors import HelmError, error_from, missing_dependencies, schema_error
from tokenlint.inputs.helm.linemap import Locator, insert_markers, read_markers, same_shape
from tokenlint.inputs.helm.options import RenderOptions
from tokenlint.inputs.helm.process import RenderFailed, RenderLimit, pick_renderer, renderer_name
from tokenlint.inputs.helm.split import normalize
from tokenlint.inputs.helm.tree import ChartTree, helm_paths, is_tgz, read_tree, scenarios
from tokenlint.model import FieldPath

__all__ = [
    "ChartRender",
    "HelmError",
    "RenderOptions",
    "RenderedTemplate",
    "render_chart",
    "renderer_name",
]


@dataclass(frozen=True)
class RenderedTemplate:
    """The rendered output of one template file, with a way back to its lines."""

    template_path: str
    text: bytes
    locate: Callable[[int, FieldPath], tuple[int | None, str | None]]
    #: Template line of the nearest known line at or above a rendered line; for
    #: messages about rendered text that is not a key (e.g. a YAML syntax error).
    nearest: Callable[[int], tuple[int | None, str | None]] = field(
        default=lambda _line: (None, "line could not be resolved"), compare=False
    )
    #: How ``locate`` works for this template: "markers" or "search".
    method: str = "search"


@dataclass(frozen=True)
class ChartRender:
    """One scenario of one chart, rendered."""

    chart_path: str
    scenario: str
    templates: tuple[RenderedTemplate, ...]


def _is_manifest(helm_name: str) -> bool:
    """Whether Helm installs what a template renders: partials (``_*``) and notes
    (any name ending in ``NOTES.txt``, as Helm's ``renderResources`` tests it) are not."""
    base = helm_name.rsplit("/", 1)[-1]
    return not base.startswith("_") and not helm_name.endswith("NOTES.txt")


@dataclass
class _Marked:
    """A marked copy of a chart on disk, and the file id of each marked template."""

    root: Path
    ids: dict[str, int]  # tree path -> file id


def _write_marked(tree: ChartTree, workdir: Path, template_rels: set[str]) -> _Marked:
    root = workdir / "chart"
    ids: dict[str, int] = {}
    for rel, data in tree.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in template_rels:
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError:
                target.write_bytes(data)
                continue
            ids[rel] = len(ids) + 1
            target.write_text(insert_markers(source, ids[rel]), encoding="utf-8")
        else:
            target.write_bytes(data)
    return _Marked(root, ids)


def _build_templates(
    real: dict[str, str],
    marked: dict[str, str] | None,
    paths: dict[str, str],
    tree: ChartTree,
    marks: _Marked | None,
    chart_path: str,
) -> tuple[RenderedTemplate, ...]:
    out: list[RenderedTemplate] = []
    for helm_name in sorted(real):
        if not _is_manifest(helm_name):
            continue
        text = normalize(real[helm_name])
        if not text:
            continue
        rel = paths.get(helm_name)
        shown = tree.display.get(rel, rel) if rel else f"{chart_path}/{helm_name.split('/', 1)[-1]}"
        source_bytes = tree.files.get(rel) if rel else None
        source = source_bytes.decode("utf-8", "replace") if source_bytes is not None else None
        markers: dict[int, int] | None = None
        if marked is not None and marks is not None and rel in marks.ids and helm_name in marked:
            read = read_markers(normalize(marked[helm_name]), marks.ids[rel])
            if read.clean and same_shape(read.text, text):
                markers = read.lines
        locator = Locator(text, source, markers)
        out.append(
            RenderedTemplate(
                template_path=shown,
                text=text.encode("utf-8"),
                locate=locator.locate,
                nearest=locator.nearest,
                method="markers" if markers is not None else "search",
            )
        )
    return tuple(out)


def _scenario_file(chart: Path, tree: ChartTree, scenario: str, workdir: Path) -> tuple[Path, str]:
    """The scenario's values file on disk, and the path to show for it."""
    if not is_tgz(chart):
        return chart / scenario, (chart / scenario).as_posix()
    target = workdir / "scenarios" / scenario
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(tree.files.get(scenario, b""))
    return target, tree.display.get(scenario, scenario)


def render_chart(chart: Path, options: RenderOptions) -> tuple[list[ChartRender], list[HelmError]]:
    """Render ``chart`` for its default values and each ``ci/*-values.yaml`` scenario.

    Returns one :class:`ChartRender` per scenario that rendered and one
    :class:`HelmError` per scenario that did not (or a single error when the chart
    cannot be rendered at all: unreadable, a missing dependency, no renderer). A render
    past the time, memory or output limit gives the chart up: its later scenarios would
    most likely run away too, and each would cost the limit again.
    """
    chart_path = chart.as_posix()
    try:
        renderer = pick_renderer(options)
    except RenderFailed as exc:
        return [], [HelmError(chart_path, None, str(exc))]
    try:
        tree = read_tree(chart)
    except (OSError, tarfile.TarError, RenderFailed) as exc:
        return [], [HelmError(chart_path, None, f"cannot read chart: {exc}")]
    missing = missing_dependencies(tree, chart_path)
    if missing:
        return [], missing
    paths = helm_paths(tree)
    template_rels = {rel for name, rel in paths.items() if _is_manifest(name)}
    renders: list[ChartRender] = []
    errors: list[HelmError] = []
    with tempfile.TemporaryDirectory(prefix="tokenlint-helm-") as tmp:
        workdir = Path(tmp)
        marks = _write_marked(tree, workdir, template_rels)
        configured = {path.as_posix(): path for path in options.scenario_values}
        names = options.scenario_names(scenarios(chart))
        for number, scenario in enumerate(names):
            values_files = list(options.values)
            shown_files = [p.as_posix() for p in options.values]
            if scenario in configured:
                values_files.append(configured[scenario])
                shown_files.append(scenario)
            elif scenario != "default":
                on_disk, shown = _scenario_file(chart, tree, scenario, workdir)
                values_files.append(on_disk)
                shown_files.append(shown)
            try:
                real = renderer.render(chart, options, values_files)
            except RenderLimit as exc:
                later = names[number + 1 :]
                rest = f"; its other scenarios were not rendered: {', '.join(later)}" if later else ""
                errors.append(HelmError(chart_path, None, f"chart given up: {exc}{rest}", scenario))
                break
            except RenderFailed as exc:
                message = str(exc)
                if "schema" in message:
                    sources = [(tree.display.get("values.yaml", "values.yaml"), tree.files.get("values.yaml", b""))]
                    for disk, shown in zip(values_files, shown_files, strict=True):
                        with contextlib.suppress(OSError):
                            sources.append((shown, disk.read_bytes()))
                    errors.append(schema_error(message, sources, tree, chart_path, scenario))
                else:
                    errors.append(error_from(message, paths, tree, chart_path, scenario))
                continue
            try:
                marked: dict[str, str] | None = renderer.render(marks.root, options, values_files)
            except RenderFailed:
                marked = None  # markers broke the render: fall back to key-path search
            templates = _build_templates(real, marked, paths, tree, marks, chart_path)
            renders.append(ChartRender(chart_path, scenario, templates))
    return renders, errors
