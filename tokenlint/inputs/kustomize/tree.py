"""Read kustomization files: what each includes, which files it consumes, and what it must not do.

Only what decides the inputs of a render is read here: the kustomizations a folder includes
(``resources``, ``bases``, ``components``), the files it consumes (resources, patches,
generator inputs, replacements, configurations), and its patches, which
:mod:`tokenlint.kustomize.origin` searches to point a finding at the patch that set a
value. Kustomize itself renders; nothing here tries to reproduce it.

Some kustomizations cannot be rendered without running something or reaching the network.
tokenlint never does either, so these are refused before kustomize is started, each with
the line that asks for it:

* a remote resource or component (a URL, ``github.com/...``, ``git@...``, ``?ref=``), which
  kustomize would clone or download;
* a local entry that does not exist, which kustomize would then try as a remote base;
* ``helmCharts`` (Helm chart inflation), which downloads charts and runs ``helm``;
* a generator, transformer or validator that is not one of kustomize's built-in plugins:
  exec and container (KRM function) plugins run programs. Kustomize only loads them with
  ``--enable-alpha-plugins``, which tokenlint never passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenlint.yaml.reader import Pos, YMap, YSeq, parse_stream

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
"""The file names kustomize looks for, in its own order."""

_REMOTE = re.compile(
    r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@|git::|(?:github|gitlab|bitbucket)\.(?:com|org)[/:])|\?(?:ref|version|submodules|timeout)="
)
_FUNCTION_ANNOTATION = "config.kubernetes.io/function"
_HELM_FIELDS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals")
_PLUGIN_FIELDS = ("generators", "transformers", "validators")


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file of ``folder``, or None when it holds none."""
    for name in KUSTOMIZATION_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def is_remote(entry: str) -> bool:
    """Whether kustomize would fetch ``entry`` (a URL or a go-getter/git address)."""
    return bool(_REMOTE.search(entry))


@dataclass(frozen=True)
class Refusal:
    """Why a kustomization is not rendered: an input error at a line of its file."""

    file: Path
    line: int | None
    message: str


@dataclass(frozen=True)
class Patch:
    """One patch of a kustomization, as written: a file or inline text, and its target.

    ``offset`` places inline text in the kustomization file: the line before its first
    line and the indentation of a block scalar, or None when the text is not a block
    scalar (its lines cannot be placed; the patch's key line is used).
    """

    file: Path  # the patch file, or the kustomization file for inline text
    text: str | None  # inline text; None: read ``file``
    key: Pos  # where the patch is named in the kustomization file
    target: dict[str, Any] | None = None
    offset: tuple[int, int] | None = None


@dataclass(frozen=True)
class Kustomization:
    """One kustomization file, read: what it includes, consumes and patches."""

    folder: Path
    file: Path
    component: bool = False
    includes: tuple[Path, ...] = ()  # folders of kustomizations (resources, bases)
    components: tuple[Path, ...] = ()
    files: tuple[Path, ...] = ()  # every file it reads, its own file included
    patches: tuple[Patch, ...] = ()
    refusals: tuple[Refusal, ...] = ()


@dataclass
class _Reader:
    """Collects the parts of one kustomization while its fields are walked."""

    folder: Path
    file: Path
    lines: list[str]
    includes: list[Path] = field(default_factory=list)
    components: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def refuse(self, pos: Pos | None, message: str) -> None:
        self.refusals.append(Refusal(self.file, pos[0] if pos else None, message))

    def entry(self, value: Any, pos: Pos, what: str, *, folders: list[Path] | None) -> None:
        """A path entry: a remote address (refused), a folder of a kustomization, or a file."""
        if not isinstance(value, str) or not value.strip():
            return  # kustomize reports malformed entries itself
        if is_remote(value):
            self.refuse(
                pos,
                f"remote {what} {value!r} is not fetched: tokenlint never reaches the network;"
                " vendor it into the repository or lint its rendered output",
            )
            return
        target = self.folder / value
        if target.is_dir():
            if folders is None or kustomization_file(target) is None:
                return  # kustomize reports a folder without a kustomization
            folders.append(target)
        elif target.is_file():
            self.files.append(target)
        else:
            self.refuse(pos, f"{what} {value!r}: no such file or directory (kustomize would try it as a remote base)")

    def patch(self, item: Any, pos: Pos, *, inline_ok: bool) -> None:
        if isinstance(item, str):
            if "\n" in item or not inline_ok:
                self.patches.append(Patch(self.file, item, pos, offset=self._block_offset(pos)))
            else:
                self.entry(item, pos, "patch", folders=None)
                if (self.folder / item).is_file():
                    self.patches.append(Patch(self.folder / item, None, pos))
            return
        if not isinstance(item, YMap):
            return
        target = item.get("target") if isinstance(item.get("target"), dict) else None
        if isinstance(item.get("path"), str):
            path = item["path"]
            self.entry(path, item.keypos["path"], "patch", folders=None)
            if (self.folder / path).is_file():
                self.patches.append(Patch(self.folder / path, None, item.keypos["path"], target))
        elif isinstance(item.get("patch"), str):
            at = item.keypos["patch"]
            self.patches.append(Patch(self.file, item["patch"], at, target, self._block_offset(at)))

    def _block_offset(self, pos: Pos) -> tuple[int, int] | None:
        """Line and indentation of a block scalar's text whose key or item starts at ``pos``."""
        line = pos[0]
        if not 0 < line <= len(self.lines):
            return None
        head = self.lines[line - 1][pos[1] - 1 :]
        after = head.split(":", 1)[1] if ":" in head and not head.startswith("-") else head.lstrip("- ")
        if not after.strip().startswith(("|", ">")):
            return None
        for following in self.lines[line:]:
            if following.strip():
                return line, len(following) - len(following.lstrip())
        return None


def _items(body: YMap, key: str) -> Iterator[tuple[Any, Pos]]:
    value = body.get(key)
    if isinstance(value, YSeq):
        yield from zip(value, value.itempos, strict=True)


def _generator_files(reader: _Reader, body: YMap) -> None:
    for key in ("configMapGenerator", "secretGenerator"):
        for item, _pos in _items(body, key):
            if not isinstance(item, YMap):
                continue
            for source in ("files", "envs"):
                for entry, at in _items(item, source):
                    if isinstance(entry, str):
                        reader.entry(entry.split("=", 1)[-1], at, "generator input", folders=None)
            if isinstance(item.get("env"), str):
                reader.entry(item["env"], item.keypos["env"], "generator input", folders=None)


def _plugin_configs(reader: _Reader, body: YMap) -> None:
    """Built-in plugin configurations only; anything that would run a program is refused."""
    for key in _PLUGIN_FIELDS:
        for item, pos in _items(body, key):
            if not isinstance(item, str):
                continue
            if "\n" in item:
                documents, _ = parse_stream(item.encode("utf-8"))
                configs = [(d.data, pos) for d in documents]
            else:
                reader.entry(item, pos, key[:-1], folders=reader.includes)
                target = reader.folder / item
                if not target.is_file():
                    continue
                documents, _ = parse_stream(target.read_bytes())
                configs = [(d.data, pos) for d in documents]
            for config, at in configs:
                problem = _plugin_problem(config)
                if problem:
                    reader.refuse(at, f"{key[:-1]} {item.splitlines()[0]!r}: {problem}")


def _plugin_problem(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    meta = config.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict) and _FUNCTION_ANNOTATION in annotations:
        return (
            "a KRM function (exec or container) runs a program; tokenlint never runs plugins"
            " (kustomize's alpha plugins stay off)"
        )
    if config.get("apiVersion") != "builtin":
        kind = config.get("kind")
        return (
            f"plugin {config.get('apiVersion')}/{kind} is not built into kustomize: external plugins run programs;"
            " tokenlint never runs plugins (kustomize's alpha plugins stay off)"
        )
    return None


def read_kustomization(folder: Path) -> Kustomization:
    """Read the kustomization of ``folder`` (which must hold one)."""
    file = kustomization_file(folder)
    assert file is not None, folder
    try:
        data = file.read_bytes()
    except OSError as exc:
        return Kustomization(folder, file, refusals=(Refusal(file, None, f"cannot read: {exc.strerror}"),))
    reader = _Reader(folder, file, data.decode("utf-8", "replace").splitlines(), files=[file])
    documents, errors = parse_stream(data)
    if errors:
        reader.refusals.extend(Refusal(file, e.line, e.message) for e in errors)
    body = documents[0].data if documents else None
    if not isinstance(body, YMap):
        if not errors:
            reader.refuse(None, "not a kustomization: expected a mapping")
        return _done(reader, False)
    for key in ("resources", "bases"):
        for item, pos in _items(body, key):
            reader.entry(item, pos, "resource" if key == "resources" else "base", folders=reader.includes)
    for item, pos in _items(body, "components"):
        reader.entry(item, pos, "component", folders=reader.components)
    for item, pos in _items(body, "patchesStrategicMerge"):
        reader.patch(item, pos, inline_ok=True)
    for key in ("patches", "patchesJson6902"):
        for item, pos in _items(body, key):
            reader.patch(item, pos, inline_ok=False)
    for key in ("configurations", "crds"):
        for item, pos in _items(body, key):
            reader.entry(item, pos, key[:-1], folders=None)
    for item, _pos in _items(body, "replacements"):
        if isinstance(item, YMap) and isinstance(item.get("path"), str):
            reader.entry(item["path"], item.keypos["path"], "replacement", folders=None)
    openapi = body.get("openapi")
    if isinstance(openapi, YMap) and isinstance(openapi.get("path"), str):
        reader.entry(openapi["path"], openapi.keypos["path"], "openapi schema", folders=None)
    _generator_files(reader, body)
    _plugin_configs(reader, body)
    for key in _HELM_FIELDS:
        if key in body:
            reader.refuse(
                body.keypos[key],
                f"{key}: kustomize would download the chart and run helm; tokenlint does neither"
                " (lint the chart folder itself: tokenlint renders charts with Helm)",
            )
    return _done(reader, body.get("kind") == "Component")


def _done(reader: _Reader, component: bool) -> Kustomization:
    return Kustomization(
        reader.folder,
        reader.file,
        component,
        tuple(reader.includes),
        tuple(reader.components),
        tuple(dict.fromkeys(reader.files)),
        tuple(reader.patches),
        tuple(reader.refusals),
    )


class Forest:
    """Every kustomization a run reads, each read once, keyed by its resolved folder."""

    def __init__(self) -> None:
        self._read: dict[Path, Kustomization] = {}

    def get(self, folder: Path) -> Kustomization:
        key = folder.resolve()
        found = self._read.get(key)
        if found is None:
            found = self._read[key] = read_kustomization(key)
        return found

    def closure(self, root: Path) -> list[Kustomization]:
        """``root`` and every kustomization it includes, outermost first, each once."""
        order: list[Kustomization] = []
        seen: set[Path] = set()
        queue = [root.resolve()]
        while queue:
            folder = queue.pop(0)
            if folder in seen:
                continue
            seen.add(folder)
            kustomization = self.get(folder)
            order.append(kustomization)
            queue.extend(p.resolve() for p in (*kustomization.includes, *kustomization.components))
        return order

    def roots(self, folders: Iterable[Path]) -> list[Path]:
        """The folders among ``folders`` that no other of them includes; components never
        are roots (kustomize builds a component only inside a kustomization)."""
        found = [f.resolve() for f in folders]
        included: set[Path] = set()
        for folder in found:
            kustomization = self.get(folder)
            included.update(p.resolve() for p in (*kustomization.includes, *kustomization.components))
        return [f for f in found if f not in included and not self.get(f).component]

    def consumed(self, folders: Iterable[Path]) -> set[Path]:
        """Every file that the kustomizations of ``folders`` read (resolved)."""
        return {p.resolve() for folder in folders for p in self.get(folder).files}
