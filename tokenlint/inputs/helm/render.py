"""Render Helm charts with real Helm and map the output back to template files.

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
import io
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tokenlint.inputs.helm.linemap import Locator, insert_markers, read_markers, same_shape
from tokenlint.inputs.helm.options import RenderOptions
from tokenlint.inputs.helm.process import RenderFailed, RenderLimit, pick_renderer, renderer_name
from tokenlint.inputs.helm.split import normalize
from tokenlint.inputs.readlimit import DEFAULT_MAX_FILE_SIZE, ReadRefused, format_size, read_input
from tokenlint.model import FieldPath
from tokenlint.yaml.reader import parse_stream

__all__ = [
    "ChartRender",
    "HelmError",
    "RenderOptions",
    "RenderedTemplate",
    "find_chart_root",
    "render_chart",
    "renderer_name",
    "scenarios",
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


@dataclass(frozen=True)
class HelmError:
    """An input error: the chart could not be rendered for this scenario."""

    path: str
    line: int | None
    message: str
    scenario: str | None = None
    column: int | None = None


# --------------------------------------------------------------------------- charts


def _is_tgz(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tgz", ".tar.gz"))


def find_chart_root(path: Path) -> Path | None:
    """The chart a file belongs to: the nearest ancestor holding ``Chart.yaml``.

    A file of a subchart (``<parent>/charts/<sub>/...``) maps to the top-level chart,
    because subcharts are rendered with their parent's values, never alone. A packaged
    ``.tgz`` chart is its own root.
    """
    if _is_tgz(path):
        return path
    absolute = Path(os.path.abspath(path))
    start = absolute if absolute.is_dir() else absolute.parent
    root: Path | None = None
    for candidate in (start, *start.parents):
        if (candidate / "Chart.yaml").is_file():
            root = candidate
            break
    if root is None:
        return None
    while root.parent.name == "charts" and (root.parent.parent / "Chart.yaml").is_file():
        root = root.parent.parent
    if path.is_absolute():
        return root
    return Path(os.path.relpath(root))


def _tgz_members(tgz: Path) -> dict[str, bytes]:
    """Regular files of a chart archive, by path inside the archive."""
    files: dict[str, bytes] = {}
    with tarfile.open(tgz, "r:*") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                continue  # never trust archive paths outside the chart
            if member.size > DEFAULT_MAX_FILE_SIZE:  # a sparse or highly compressed giant
                raise RenderFailed(
                    f"{name}: {format_size(member.size)}, above the limit of {format_size(DEFAULT_MAX_FILE_SIZE)}"
                )
            handle = archive.extractfile(member)
            if handle is not None:
                files[str(name)] = handle.read()
    return files


def _tgz_top(files: dict[str, bytes]) -> str:
    tops = {p.split("/", 1)[0] for p in files if "/" in p}
    for top in sorted(tops):
        if f"{top}/Chart.yaml" in files:
            return top
    raise RenderFailed("archive holds no Chart.yaml")


def scenarios(chart: Path) -> list[str]:
    """``["default", "ci/<x>-values.yaml", ...]``: the chart-testing convention."""
    found: list[str] = []
    if _is_tgz(chart):
        try:
            files = _tgz_members(chart)
            top = _tgz_top(files)
        except (OSError, tarfile.TarError, RenderFailed):
            return ["default"]
        prefix = f"{top}/ci/"
        found = [p[len(top) + 1 :] for p in files if p.startswith(prefix) and "/" not in p[len(prefix) :]]
    elif (chart / "ci").is_dir():
        found = [f"ci/{p.name}" for p in (chart / "ci").iterdir() if p.is_file()]
    names = sorted(p for p in found if p.endswith(("-values.yaml", "-values.yml")))
    return ["default", *names]


@dataclass
class _Tree:
    """A chart's files in memory, laid out as a loadable chart directory.

    Packaged subcharts are unpacked to ``charts/<archive stem>/`` so that markers can be
    put into their templates too; ``display`` remembers where each file really lies.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)

    def add(self, rel: str, data: bytes, shown: str) -> None:
        if rel.startswith("charts/") or "/charts/" in rel:
            head, _, tail = rel.rpartition("/")
            if tail.endswith(".tgz") and (head == "charts" or head.endswith("/charts")):
                self._add_archive(head, tail, data, shown)
                return
        self.files[rel] = data
        self.display[rel] = shown

    def _add_archive(self, charts_dir: str, name: str, data: bytes, shown: str) -> None:
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                inner: dict[str, bytes] = {}
                for member in archive.getmembers():
                    p = PurePosixPath(member.name)
                    if member.isfile() and not p.is_absolute() and ".." not in p.parts:
                        handle = archive.extractfile(member)
                        if handle is not None:
                            inner[str(p)] = handle.read()
            top = _tgz_top(inner)
        except (tarfile.TarError, RenderFailed):
            self.files[f"{charts_dir}/{name}"] = data
            self.display[f"{charts_dir}/{name}"] = shown
            return
        stem = name[: -len(".tgz")]
        for path, content in inner.items():
            if path.startswith(top + "/"):
                rest = path[len(top) + 1 :]
                self.add(f"{charts_dir}/{stem}/{rest}", content, f"{shown}/{top}/{rest}")


def _read_tree(chart: Path) -> _Tree:
    tree = _Tree()
    if _is_tgz(chart):
        files = _tgz_members(chart)
        top = _tgz_top(files)
        for path, data in files.items():
            if path.startswith(top + "/"):
                rest = path[len(top) + 1 :]
                tree.add(rest, data, f"{chart.as_posix()}/{top}/{rest}")
        return tree
    for dirpath, dirnames, filenames in os.walk(chart):
        dirnames[:] = [d for d in dirnames if d != ".git" and not os.path.islink(os.path.join(dirpath, d))]
        for filename in filenames:
            full = Path(dirpath, filename)
            rel = full.relative_to(chart).as_posix()
            try:  # before Helm reads the chart: a FIFO or /dev/zero there would hang it
                data = read_input(full, text=False)
            except ReadRefused as refused:
                raise RenderFailed(f"{rel}: {refused.message}") from None
            tree.add(rel, data, (chart / rel).as_posix())
    return tree


def _load_yaml(data: bytes) -> Any:
    """A chart's metadata (``Chart.yaml``), read by the same bounded reader as every input
    and decoded as Helm's YAML 1.1 library does; None when it does not parse."""
    documents, errors = parse_stream(data)
    return documents[0].data if documents and not errors else None


def _helm_paths(tree: _Tree, prefix: str = "", helm_prefix: str | None = None) -> dict[str, str]:
    """Helm's template names (``<chart>/charts/<sub>/templates/x.yaml``) -> tree paths.

    Helm names a chart by its ``Chart.yaml`` name, or by the dependency's ``alias``, and
    never by its directory, so the tree is walked the way Helm loads it.
    """
    meta = _load_yaml(tree.files.get(f"{prefix}Chart.yaml", b"")) or {}
    if not isinstance(meta, dict):
        meta = {}
    if helm_prefix is None:
        helm_prefix = str(meta.get("name", ""))
    out: dict[str, str] = {}
    tpl_prefix = f"{prefix}templates/"
    for rel in tree.files:
        if rel.startswith(tpl_prefix) and "/charts/" not in rel[len(prefix) :]:
            out[f"{helm_prefix}/templates/{rel[len(tpl_prefix) :]}"] = rel
    aliases: dict[str, list[str]] = {}
    for dep in meta.get("dependencies") or []:
        if isinstance(dep, dict) and dep.get("name"):
            aliases.setdefault(str(dep["name"]), []).append(str(dep.get("alias") or dep["name"]))
    sub_dirs = {
        rel[: -len("Chart.yaml")]
        for rel in tree.files
        if rel.startswith(f"{prefix}charts/")
        and rel.endswith("/Chart.yaml")
        and rel[len(prefix) + len("charts/") :].count("/") == 1
    }
    for sub in sorted(sub_dirs):
        sub_meta = _load_yaml(tree.files[f"{sub}Chart.yaml"]) or {}
        name = str(sub_meta.get("name", "")) if isinstance(sub_meta, dict) else ""
        for helm_name in aliases.get(name, [name]):
            out.update(_helm_paths(tree, sub, f"{helm_prefix}/charts/{helm_name}"))
    return out


def _missing_dependencies(tree: _Tree, chart_path: str) -> list[HelmError]:
    """Declared dependencies absent from ``charts/``, as ``helm template`` checks them."""
    meta = _load_yaml(tree.files.get("Chart.yaml", b"")) or {}
    if not isinstance(meta, dict):
        return []
    present = set()
    for rel, data in tree.files.items():
        if rel.startswith("charts/") and rel.endswith("/Chart.yaml") and rel.count("/") == 2:
            sub = _load_yaml(data)
            if isinstance(sub, dict) and sub.get("name"):
                present.add(str(sub["name"]))
    errors = []
    chart_yaml = tree.display.get("Chart.yaml", f"{chart_path}/Chart.yaml")
    lines = tree.files.get("Chart.yaml", b"").decode("utf-8", "replace").splitlines()
    for dep in meta.get("dependencies") or []:
        if not isinstance(dep, dict) or not dep.get("name") or str(dep["name"]) in present:
            continue
        name = str(dep["name"])
        line = next(
            (
                i + 1
                for i, text in enumerate(lines)
                if re.match(rf"""^\s*-?\s*name:\s*['"]?{re.escape(name)}['"]?\s*$""", text)
            ),
            None,
        )
        errors.append(
            HelmError(
                chart_yaml,
                line,
                f"found in Chart.yaml, but missing in charts/ directory: {name} "
                "(dependencies are never downloaded; run `helm dependency build` first)",
            )
        )
    return errors


# --------------------------------------------------------------------------- errors

# Go's text/template names a place as file:line:column, the column counting bytes from 0.
_TEMPLATE_POS = re.compile(r"((?:[A-Za-z0-9_.-]+/)(?:charts/[A-Za-z0-9_.-]+/)*templates/[^\s:()\"]+):(\d+)(?::(\d+))?")
_SCHEMA_AT = re.compile(r"at '(/[^']*)'")


# --------------------------------------------------------------------------- rendering


def _is_manifest(helm_name: str) -> bool:
    """Whether Helm installs what a template renders: partials (``_*``) and notes
    (any name ending in ``NOTES.txt``, as Helm's ``renderResources`` tests it) are not."""
    base = helm_name.rsplit("/", 1)[-1]
    return not base.startswith("_") and not helm_name.endswith("NOTES.txt")


def _error_from(message: str, paths: dict[str, str], tree: _Tree, chart_path: str, scenario: str) -> HelmError:
    m = _TEMPLATE_POS.search(message)
    if m:
        rel = paths.get(m.group(1))
        # A template Helm knows but we could not map keeps Helm's name.
        shown = tree.display.get(rel, rel) if rel else f"{chart_path}/{m.group(1).split('/', 1)[-1]}"
        column = int(m.group(3)) + 1 if m.group(3) else None
        return HelmError(shown, int(m.group(2)), message, scenario, column)
    return HelmError(chart_path, None, message, scenario)


def _schema_error(
    message: str, values_sources: list[tuple[str, bytes]], tree: _Tree, chart_path: str, scenario: str
) -> HelmError:
    """Point a schema failure at the values file that set the offending key.

    Helm names the key as a JSON pointer (``at '/replicas'``); the last values source
    (in precedence order) spelling that key path wins, as it is the one that took effect.
    """
    from tokenlint.inputs.helm.linemap import key_path_search

    m = _SCHEMA_AT.search(message)
    if m:
        path: FieldPath = tuple(
            int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~") for p in m.group(1).split("/")[1:]
        )
        for shown, data in reversed(values_sources):
            lines = data.decode("utf-8", "replace").splitlines()
            hit = key_path_search(lines, 0, len(lines), path)
            if hit is not None:
                return HelmError(shown, hit + 1, message, scenario)
    schema = tree.display.get("values.schema.json", f"{chart_path}/values.schema.json")
    return HelmError(schema, None, message, scenario)


@dataclass
class _Marked:
    """A marked copy of a chart on disk, and the file id of each marked template."""

    root: Path
    ids: dict[str, int]  # tree path -> file id


def _write_marked(tree: _Tree, workdir: Path, template_rels: set[str]) -> _Marked:
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
    tree: _Tree,
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


def _scenario_file(chart: Path, tree: _Tree, scenario: str, workdir: Path) -> tuple[Path, str]:
    """The scenario's values file on disk, and the path to show for it."""
    if not _is_tgz(chart):
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
        tree = _read_tree(chart)
    except (OSError, tarfile.TarError, RenderFailed) as exc:
        return [], [HelmError(chart_path, None, f"cannot read chart: {exc}")]
    missing = _missing_dependencies(tree, chart_path)
    if missing:
        return [], missing
    paths = _helm_paths(tree)
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
                    errors.append(_schema_error(message, sources, tree, chart_path, scenario))
                else:
                    errors.append(_error_from(message, paths, tree, chart_path, scenario))
                continue
            try:
                marked: dict[str, str] | None = renderer.render(marks.root, options, values_files)
            except RenderFailed:
                marked = None  # markers broke the render: fall back to key-path search
            templates = _build_templates(real, marked, paths, tree, marks, chart_path)
            renders.append(ChartRender(chart_path, scenario, templates))
    return renders, errors
