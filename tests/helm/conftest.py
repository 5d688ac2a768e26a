"""Fixtures of the Helm tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FAKE_HELM = Path(__file__).parent / "fake_helm.py"


@pytest.fixture
def helm_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `helm` executable on PATH that implements `helm template` with the SDK."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helm = bindir / "helm"
    helm.write_text(f"#!{sys.executable}\n" + FAKE_HELM.read_text(encoding="utf-8"), encoding="utf-8")
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{Path(sys.executable).parent}")
    return helm
