"""Render a kustomization root with real kustomize, and read where each object came from.

The renderer is the ``kustomize`` binary, or ``kubectl kustomize`` (kubectl embeds
kustomize), chosen as Helm's is: ``--kustomize PATH`` names one, else ``kustomize`` on
PATH, else ``kubectl`` on PATH. Neither is ever given ``--enable-alpha-plugins``,
``--enable-exec`` or ``--enable-helm``, so no plugin, KRM function or chart inflation
can run; :mod:`tokenlint.kustomize.tree` refuses those (and remote bases) before
kustomize starts, with the line that asks for them. Kustomize also runs without the
network where the system allows it (a private network namespace through ``unshare``),
and always with a ``PATH`` holding no ``git`` to clone with and proxies that lead
nowhere.

To know which file each object came from, kustomize renders a wrapper kustomization in a
temporary folder that names the root as its only resource and asks for
``buildMetadata: [originAnnotations, transformerAnnotations]``. The user's tree is read
in place and never written, and every relative path in it resolves as usual. The
annotations are then cut out of the rendered text (by their parsed positions), so the
rules see exactly what ``kustomize build`` of the root prints.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenlint.yaml.reader import YMap, parse_stream

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
_BUILD_METADATA = (ORIGIN_ANNOTATION, TRANSFORMATIONS_ANNOTATION)
_TIMEOUT_S = 120
_NOWHERE = "http://127.0.0.1:9"  # the discard port: a proxy that never answers
INSTALL_HINT = (
    "no kustomize found: install kubectl (it embeds kustomize; e.g. `apt-get install kubectl`,"
    " or https://kubernetes.io/docs/tasks/tools/) or the kustomize binary"
    " (https://kubectl.docs.kubernetes.io/installation/kustomize/), or name one with --kustomize PATH"
)


class RenderFailed(Exception):
    """Kustomize refused to render; carries its message."""


@dataclass(frozen=True)
class Kustomize:
    """A kustomize executable and the arguments that make it build a folder."""

    argv: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join([Path(self.argv[0]).name, *self.argv[1:]])


def find_kustomize(named: Path | None = None) -> Kustomize | None:
    """``named`` (a kustomize or kubectl binary), else ``kustomize``, else ``kubectl`` on PATH."""
    if named is not None:
        verb = "kustomize" if "kubectl" in named.name else "build"
        return Kustomize((str(named), verb))
    found = shutil.which("kustomize")
    if found is not None:
        return Kustomize((found, "build"))
    found = shutil.which("kubectl")
    return Kustomize((found, "kustomize")) if found is not None else None


@functools.lru_cache(maxsize=1)
def _isolation() -> tuple[str, ...]:
    """``unshare -rn`` when this system lets an unprivileged process drop its network."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    try:
        probe = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (unshare, "-rn") if probe.returncode == 0 else ()


def _environment(home: Path) -> dict[str, str]:
    """No git to clone with, no proxy that leads anywhere, no cluster, no plugin folders."""
    env = {key: value for key, value in os.environ.items() if key in ("LANG", "LC_ALL", "TZ", "SYSTEMROOT")}
    env.update(
        PATH=str(home),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home),
        KUBECONFIG=os.devnull,
        HTTP_PROXY=_NOWHERE,
        HTTPS_PROXY=_NOWHERE,
        ALL_PROXY=_NOWHERE,
        http_proxy=_NOWHERE,
        https_proxy=_NOWHERE,
        NO_PROXY="",
        GIT_ALLOW_PROTOCOL="file",
    )
    return env


_KLOG = re.compile(r'^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err="(.*)"$', re.S)


def clean_message(stderr: str) -> str:
    """Kustomize's message without kubectl's log prefix or kustomize's ``Error:``."""
    text = stderr.strip()
    match = _KLOG.match(text)
    if match:
        text = match.group(1).replace('\\"', '"')
    for prefix in ("Error: ", "error: "):
        text = text.removeprefix(prefix)
    return text.strip()


def _run(kustomize: Kustomize, folder: Path, scratch: Path) -> str:
    argv = [*_isolation(), *kustomize.argv, str(folder)]
    try:
        proc = subprocess.run(
            argv, capture_output=True, timeout=_TIMEOUT_S, check=False, env=_environment(scratch), cwd=scratch
        )
    except OSError as exc:
        raise RenderFailed(f"cannot run {kustomize.argv[0]}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed(f"{kustomize.name} did not finish within {_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        message = clean_message(proc.stderr.decode("utf-8", "replace"))
        raise RenderFailed(message or f"{kustomize.name} exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


@dataclass(frozen=True)
class Rendered:
    """One rendered object: its text (annotations cut out), where it came from, and how."""

    text: str
    body: Any  # the parsed object, to match list items by name when locating a field
    origin: Path | None  # the file kustomize read it from; None when generated or remote
    transformed_in: tuple[Path, ...]  # kustomization files whose transformers changed it
    generated_in: Path | None  # the kustomization whose generator made it


def render(kustomize: Kustomize, root: Path) -> list[Rendered]:
    """Render the kustomization at ``root`` and annotate each object with its origin."""
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="tokenlint-kustomize-") as tmp:
        scratch = Path(tmp).resolve()
        wrapper = scratch / "wrapper"
        wrapper.mkdir()
        relative = os.path.relpath(root, wrapper).replace(os.sep, "/")
        (wrapper / "kustomization.yaml").write_text(
            f"resources:\n- {relative}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n",
            encoding="utf-8",
        )
        try:
            output = _run(kustomize, wrapper, scratch)
        except RenderFailed:
            # The root's own message, without the wrapper around it.
            output = _run(kustomize, root, scratch)
            raise RenderFailed("kustomize refused the wrapper but not the root") from None
        return _split(output, wrapper)


def _split(output: str, base: Path) -> list[Rendered]:
    """Each rendered document, build annotations cut out, with what they said."""
    lines = output.splitlines(keepends=True)
    documents, errors = parse_stream(output.encode("utf-8"))
    if errors:
        raise RenderFailed(f"kustomize printed YAML that does not parse: {errors[0].message}")
    starts = [d.line for d in documents] + [len(lines) + 1]
    out: list[Rendered] = []
    for i, document in enumerate(documents):
        first, end = starts[i], starts[i + 1]
        chunk = lines[first - 1 : end - 1]
        while chunk and chunk[-1].rstrip() == "---":
            chunk.pop()
        if chunk and chunk[0].startswith("---"):
            first, chunk = first + 1, chunk[1:]
        meta, annotations = _annotations(document.data)
        cut = _annotation_lines(meta, annotations, first, chunk)
        text = "".join(line for n, line in enumerate(chunk, first) if n not in cut)
        origin, generated = _origin(annotations.get(ORIGIN_ANNOTATION) if annotations else None, base)
        transformed = _transformed(annotations.get(TRANSFORMATIONS_ANNOTATION) if annotations else None, base)
        out.append(Rendered(text, document.data, origin, transformed, generated))
    return out


def _annotations(body: Any) -> tuple[YMap | None, YMap | None]:
    meta = body.get("metadata") if isinstance(body, YMap) else None
    if not isinstance(meta, YMap):
        return None, None
    annotations = meta.get("annotations")
    return meta, annotations if isinstance(annotations, YMap) else None


def _annotation_lines(meta: YMap | None, annotations: YMap | None, first: int, chunk: list[str]) -> set[int]:
    """Line numbers of the build annotations (key and block text), and of ``annotations:``
    itself when nothing else is left under it."""
    if meta is None or annotations is None:
        return set()
    cut: set[int] = set()
    for key in _BUILD_METADATA:
        if key not in annotations:
            continue
        line, column = annotations.keypos[key]
        cut.add(line)
        for n in range(line + 1, first + len(chunk)):
            text = chunk[n - first]
            if text.strip() and len(text) - len(text.lstrip()) < column:
                break
            cut.add(n)
    if all(key in _BUILD_METADATA for key in annotations):
        cut.add(meta.keypos["annotations"][0])
    return cut


def _parse_block(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    documents, _ = parse_stream(text.encode("utf-8"))
    return documents[0].data if documents else None


def _origin(text: Any, base: Path) -> tuple[Path | None, Path | None]:
    """(the file an object was read from, the kustomization that generated it)."""
    data = _parse_block(text)
    if not isinstance(data, dict) or data.get("repo"):
        return None, None
    if isinstance(data.get("path"), str):
        return Path(os.path.normpath(base / data["path"])), None
    if isinstance(data.get("configuredIn"), str):
        return None, Path(os.path.normpath(base / data["configuredIn"]))
    return None, None


def _transformed(text: Any, base: Path) -> tuple[Path, ...]:
    data = _parse_block(text)
    if not isinstance(data, list):
        return ()
    found = [
        Path(os.path.normpath(base / entry["configuredIn"]))
        for entry in data
        if isinstance(entry, dict) and isinstance(entry.get("configuredIn"), str)
    ]
    return tuple(dict.fromkeys(found))
