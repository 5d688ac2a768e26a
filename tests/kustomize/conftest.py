"""Real kustomize for the kustomize tests: skipped only where none is installed, never in CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenlint.inputs.kustomize.render import Kustomize, find_kustomize

TREES = Path(__file__).parent / "trees"


@pytest.fixture
def kustomize() -> Kustomize:
    """The kustomize a run would use; CI must have one (``.ci/run`` installs kubectl)."""
    found = find_kustomize()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no kustomize or kubectl on PATH: CI must run the kustomize tests")
        pytest.skip("neither kustomize nor kubectl is installed")
    return found


@pytest.fixture
def in_trees(kustomize: Kustomize) -> Iterator[Path]:
    """Run from the trees folder, so that paths in findings are relative to it."""
    before = Path.cwd()
    os.chdir(TREES)
    yield TREES
    os.chdir(before)
