"""Helm options of a run, apart from the renderer so that start-up does not load Helm."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderOptions:
    """Helm options shared by every chart of a run."""

    values: tuple[Path, ...] = ()
    set_values: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None
    kube_version: str | None = None
    helm_binary: Path | None = None
