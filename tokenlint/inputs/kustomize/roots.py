"""Kustomization roots as streams: one bundle per root, one stream per source file in it.

Each root is rendered once and linted as a bundle of its own, like a Helm values
scenario: its findings name the root (the overlay), and a finding that several roots
share at one place is reported once, listing them. A root that cannot be rendered (a
remote base, a plugin, kustomize's own error, no kustomize installed) is an input error
of that root; every other input is still linted.

Rendering costs one kustomize process per root, most of it waiting on the process, so
roots render in parallel threads and are handed on in their order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tokenlint.inputs.kustomize.origin import KustomizeOrigin, RenderedObject, Shown, applicable, patch_order, reach
from tokenlint.inputs.kustomize.render import INSTALL_HINT, Kustomize, Rendered, RenderFailed, render
from tokenlint.inputs.kustomize.tree import Forest, Kustomization
from tokenlint.model import InputError
from tokenlint.resources.resource import Stream

BUNDLE_PREFIX = "kustomize:"


def _render(kustomize: Kustomize, root: Kustomization) -> list[Rendered] | RenderFailed:
    try:
        return render(kustomize, root.folder)
    except RenderFailed as exc:
        return exc


def root_streams(
    roots: Sequence[Path], forest: Forest, kustomize: Kustomize | None, shown: Shown
) -> Iterator[Stream | InputError]:
    """The rendered objects of every root in ``roots``, or the errors that stopped each."""
    ready: list[Kustomization] = []
    for folder in roots:
        root = forest.get(folder)
        refusals = [r for k in forest.closure(folder) for r in k.refusals]
        for refusal in refusals:
            yield InputError(
                shown(refusal.file), refusal.line, None, _for_root(refusal.message, refusal.file, root, shown)
            )
        if refusals:
            continue
        if kustomize is None:
            yield InputError(shown(root.file), None, None, INSTALL_HINT)
            continue
        ready.append(root)
    if not ready:
        return
    workers = min(len(ready), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        renders = pool.map(lambda root: _render(kustomize, root), ready)  # type: ignore[arg-type]
        for root, rendered in zip(ready, renders, strict=True):
            if isinstance(rendered, RenderFailed):
                yield InputError(shown(root.file), None, None, f"kustomize: {rendered}")
            else:
                yield from _streams(root, rendered, forest, shown)


def _for_root(message: str, file: Path, root: Kustomization, shown: Shown) -> str:
    """A refusal in a shared base also names the root that was not rendered because of it."""
    if file.resolve() == root.file.resolve():
        return message
    return f"{message} (kustomization {shown(root.folder)} not rendered)"


def _streams(root: Kustomization, rendered: list[Rendered], forest: Forest, shown: Shown) -> Iterator[Stream]:
    overlay = shown(root.folder)
    if overlay == ".":
        overlay = root.folder.name  # findings name the root; "." would say nothing
    patches = list(patch_order(forest, root))
    reach_of = reach(forest, root)
    sources = frozenset(shown(p) for k in forest.closure(root.folder) for p in k.files)
    groups: dict[Path, list[Rendered]] = {}
    for item in rendered:
        groups.setdefault(item.origin or item.generated_in or root.file, []).append(item)
    for source, items in groups.items():
        objects: list[RenderedObject] = []
        starts: list[int] = []
        text: list[str] = []
        line = 1
        for item in items:
            starts.append(line + 1)  # after the "---" line
            text.append("---\n" + item.text)
            line += 1 + item.text.count("\n")
            objects.append(
                RenderedObject(
                    item.body,
                    item.origin,
                    applicable(patches, reach_of, item.origin),
                    item.generated_in or root.file,
                    generated=item.origin is None,
                )
            )
        origin = KustomizeOrigin(shown(source), tuple(objects), tuple(starts), shown, sources)
        yield Stream(origin, "".join(text).encode("utf-8"), overlay, BUNDLE_PREFIX + overlay)
