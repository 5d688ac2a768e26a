"""A chart's files, read once: the folder or archive, its subcharts and its scenarios.

Charts are read into memory before Helm sees them, through the same bounded reader as
every input, and laid out as Helm loads them (template names by chart name or alias,
packaged subcharts unpacked), so that rendered template names map back to files.
"""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tokenlint.inputs.helm.process import RenderFailed
from tokenlint.inputs.readlimit import DEFAULT_MAX_FILE_SIZE, ReadRefused, format_size, read_input
from tokenlint.yaml.reader import parse_stream


def is_tgz(path: Path) -> bool:
    return path.is_file() and path.name.endswith((".tgz", ".tar.gz"))


def find_chart_root(path: Path) -> Path | None:
    """The chart a file belongs to: the nearest ancestor holding ``Chart.yaml``.

    A file of a subchart (``<parent>/charts/<sub>/...``) maps to the top-level chart,
    because subcharts are rendered with their parent's values, never alone. A packaged
    ``.tgz`` chart is its own root.
    """
    if is_tgz(path):
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


def tgz_members(tgz: Path) -> dict[str, bytes]:
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


def tgz_top(files: dict[str, bytes]) -> str:
    tops = {p.split("/", 1)[0] for p in files if "/" in p}
    for top in sorted(tops):
        if f"{top}/Chart.yaml" in files:
            return top
    raise RenderFailed("archive holds no Chart.yaml")


def scenarios(chart: Path) -> list[str]:
    """``["default", "ci/<x>-values.yaml", ...]``: the chart-testing convention."""
    found: list[str] = []
    if is_tgz(chart):
        try:
            files = tgz_members(chart)
            top = tgz_top(files)
        except (OSError, tarfile.TarError, RenderFailed):
            return ["default"]
        prefix = f"{top}/ci/"
        found = [p[len(top) + 1 :] for p in files if p.startswith(prefix) and "/" not in p[len(prefix) :]]
    elif (chart / "ci").is_dir():
        found = [f"ci/{p.name}" for p in (chart / "ci").iterdir() if p.is_file()]
    names = sorted(p for p in found if p.endswith(("-values.yaml", "-values.yml")))
    return ["default", *names]


@dataclass
class ChartTree:
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
            top = tgz_top(inner)
        except (tarfile.TarError, RenderFailed):
            self.files[f"{charts_dir}/{name}"] = data
            self.display[f"{charts_dir}/{name}"] = shown
            return
        stem = name[: -len(".tgz")]
        for path, content in inner.items():
            if path.startswith(top + "/"):
                rest = path[len(top) + 1 :]
                self.add(f"{charts_dir}/{stem}/{rest}", content, f"{shown}/{top}/{rest}")


def read_tree(chart: Path) -> ChartTree:
    tree = ChartTree()
    if is_tgz(chart):
        files = tgz_members(chart)
        top = tgz_top(files)
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


def load_yaml(data: bytes) -> Any:
    """A chart's metadata (``Chart.yaml``), read by the same bounded reader as every input
    and decoded as Helm's YAML 1.1 library does; None when it does not parse."""
    documents, errors = parse_stream(data)
    return documents[0].data if documents and not errors else None


def helm_paths(tree: ChartTree, prefix: str = "", helm_prefix: str | None = None) -> dict[str, str]:
    """Helm's template names (``<chart>/charts/<sub>/templates/x.yaml``) -> tree paths.

    Helm names a chart by its ``Chart.yaml`` name, or by the dependency's ``alias``, and
    never by its directory, so the tree is walked the way Helm loads it.
    """
    meta = load_yaml(tree.files.get(f"{prefix}Chart.yaml", b"")) or {}
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
        sub_meta = load_yaml(tree.files[f"{sub}Chart.yaml"]) or {}
        name = str(sub_meta.get("name", "")) if isinstance(sub_meta, dict) else ""
        for helm_name in aliases.get(name, [name]):
            out.update(helm_paths(tree, sub, f"{helm_prefix}/charts/{helm_name}"))
    return out
