"""Find the inputs of a run and read each one's bytes exactly once.

Paths given on the command line may be files, directories (walked recursively for
``.yaml``, ``.yml`` and ``.json``, skipping hidden and vendored folders) or ``-`` for
standard input. Anything that cannot be read becomes an :class:`InputError` in the
stream of inputs, so the files around it are still linted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tokenlint.inputs.kustomize.tree import KUSTOMIZATION_NAMES, kustomization_file
from tokenlint.inputs.readlimit import DEFAULT_MAX_FILE_SIZE, ReadRefused, read_input, read_stream
from tokenlint.model import InputError
from tokenlint.resources.resource import FileOrigin, Stream

YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIPPED_DIRS = frozenset({"node_modules", "vendor", "third_party", "__pycache__", "site-packages", "venv"})
if TYPE_CHECKING:
    from tokenlint.inputs.helm.options import RenderOptions

CHART_FILE = "Chart.yaml"
CHART_ARCHIVE_SUFFIXES = (".tgz", ".tar.gz")
STDIN = "-"
STDIN_NAME = "<stdin>"


def display_path(path: Path) -> str:
    """Relative to the working directory when the file lies below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS


def _is_chart_archive(path: Path) -> bool:
    return path.name.endswith(CHART_ARCHIVE_SUFFIXES)


def walk(root: Path) -> Iterator[Path]:
    """YAML and JSON files, kustomization files and Helm charts below ``root``, in a stable order.

    A folder holding ``Chart.yaml`` is yielded as a chart and not entered: its templates
    are not YAML. Hidden and vendored folders are skipped.
    """
    for folder, dirs, files in os.walk(root):
        if CHART_FILE in files:
            dirs[:] = []
            yield Path(folder)
            continue
        dirs[:] = sorted(d for d in dirs if not _skipped_dir(d))
        for name in sorted(files):
            if name.startswith("."):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix in YAML_SUFFIXES or _is_chart_archive(Path(name)) or name in KUSTOMIZATION_NAMES:
                yield Path(folder) / name


def read_file(path: Path, shown: str, limit: int = DEFAULT_MAX_FILE_SIZE) -> Stream | InputError:
    """One file as a stream, or an error that says why it cannot be linted: only regular
    files (and symlinks to them) of at most ``limit`` bytes are read (see :mod:`readlimit`)."""
    try:
        data = read_stream(sys.stdin.buffer, limit) if shown == STDIN_NAME else read_input(path, limit)
    except ReadRefused as refused:
        return InputError(shown, None, None, refused.message)
    except OSError as exc:
        return InputError(shown, None, None, f"cannot read: {exc.strerror or exc}")
    return Stream(FileOrigin(shown), data)


def _chart_of(path: Path) -> Path | None:
    """The chart a path stands for: a chart folder or archive, or a file inside a chart."""
    if path.is_dir():
        return path if (path / CHART_FILE).is_file() else None
    if _is_chart_archive(path):
        return path
    from tokenlint.inputs.helm.render import find_chart_root  # only runs for files named one by one

    return find_chart_root(path)


def discover(
    paths: Sequence[str],
    helm: RenderOptions | None = None,
    *,
    excluded: Callable[[str], bool] | None = None,
    chart_options: Callable[[Path, RenderOptions], RenderOptions] | None = None,
    kustomize: Path | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> Iterator[Stream | InputError]:
    """Every input named by ``paths``, in order: each file read once, each chart rendered once.

    A template or values file passed on its own (as pre-commit does) stands for its
    chart, so the chart is rendered once however many of its files are named.
    ``excluded`` (a display path -> bool) drops files and charts before they are read;
    ``chart_options`` adjusts the Helm options per chart (configured values files and
    release namespaces). ``max_file_size`` bounds every file read. Kustomizations are
    rendered root by root with the kustomize ``kustomize`` names, or the one found on
    PATH (:mod:`tokenlint.kustomize`); the files they consume are not read on their own.
    """
    skip = excluded or (lambda _path: False)
    seen: set[Path] = set()
    charts: dict[Path, Path] = {}
    kustomizations: dict[Path, Path] = {}
    # Files are read once every kustomization is known: those it consumes are not read.
    files: list[tuple[Path, str] | InputError] = []
    for raw in paths:
        if raw == STDIN:
            files.append((Path(STDIN), STDIN_NAME))
            continue
        path = Path(raw)
        if not path.exists():
            files.append(InputError(path.as_posix(), None, None, "no such file or directory"))
            continue
        for item in walk(path) if path.is_dir() and not (path / CHART_FILE).is_file() else [path]:
            chart = _chart_of(item) if item is path or item.is_dir() or _is_chart_archive(item) else None
            if chart is not None:
                if not skip(display_path(chart)):
                    charts.setdefault(chart.resolve(), chart)
                continue
            folder = _kustomization_of(item, named=item is path)
            if folder is not None:
                if not skip(display_path(folder)):
                    kustomizations.setdefault(folder.resolve(), folder)
                if item.name in KUSTOMIZATION_NAMES:
                    continue
            key = item.resolve()
            if key in seen:
                continue
            shown = display_path(item)
            if not skip(shown):
                seen.add(key)
                files.append((item, shown))
    consumed: set[Path] = set()
    if kustomizations:
        from tokenlint.inputs.kustomize.tree import Forest  # read only when a kustomization is linted

        forest = Forest()
        consumed = forest.consumed(kustomizations.values())
    for pending in files:
        if isinstance(pending, InputError):
            yield pending
        elif pending[1] == STDIN_NAME or pending[0].resolve() not in consumed:
            yield read_file(*pending, max_file_size)
    if charts:
        from tokenlint.inputs.helm.charts import chart_streams  # Helm is loaded only when a chart is linted
        from tokenlint.inputs.helm.options import RenderOptions

        for chart in charts.values():
            options = helm or RenderOptions()
            if chart_options is not None:
                options = chart_options(chart, options)
            yield from chart_streams(Path(display_path(chart)), options)
    if kustomizations:
        from tokenlint.inputs.kustomize.render import find_kustomize
        from tokenlint.inputs.kustomize.roots import root_streams

        roots = forest.roots(kustomizations.values())
        yield from root_streams(roots, forest, find_kustomize(kustomize), display_path)


def _kustomization_of(item: Path, named: bool) -> Path | None:
    """The kustomization folder ``item`` stands for: its own folder when ``item`` is a
    kustomization file, or (for a file named on its own, as pre-commit names them) the
    kustomization of its folder that consumes it."""
    if item.is_dir():
        return None
    if item.name in KUSTOMIZATION_NAMES:
        return item.parent
    if not named or kustomization_file(item.parent) is None:
        return None
    from tokenlint.inputs.kustomize.tree import Forest

    return item.parent if item.resolve() in Forest().consumed([item.parent]) else None
