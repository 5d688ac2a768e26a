"""The fix plan: files that changed under it are left alone, before planning or before writing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write

from tokenlint.engine.run import LintOptions, lint
from tokenlint.fix.plan import FixPlan, State, digest, plan_fixes
from tokenlint.fix.write import write_plan
from tokenlint.inputs.discover import discover
from tokenlint.rulekit.registry import load_rules

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\nspec:\n  containers:\n    - name: app\n"


def plan_for(folder: Path, digests: dict[str, str] | None = None) -> FixPlan:
    """Lint ``folder`` from inside it and plan TL001's fixes, with the digests the linter saw unless given."""
    os.chdir(folder)
    seen: dict[str, str] = {}
    streams = list(discover(["."]))
    for stream in streams:
        seen[stream.origin.path] = digest(stream.data)  # type: ignore[union-attr]
    result = lint(streams, load_rules().select(["TL001"]), LintOptions())
    return plan_fixes(result.findings, seen if digests is None else digests, {})


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "pod.yaml", POD)
    return tmp_path


def test_a_file_that_changed_since_it_was_linted_is_left_alone(folder: Path) -> None:
    plan = plan_for(folder, digests={"pod.yaml": digest(b"what the linter read")})

    assert plan.after == {}
    assert plan.left_alone == {"pod.yaml": "it changed since it was linted; run fix again"}
    assert [(o.state, o.text) for o in plan.outcomes] == [
        (State.LEFT_ALONE, "it changed since it was linted; run fix again")
    ]


def test_a_file_that_changes_before_it_is_written_is_left_alone(folder: Path) -> None:
    plan = plan_for(folder)
    assert plan.after == {"pod.yaml": POD + "  automountServiceAccountToken: false\n"}
    (folder / "pod.yaml").write_text(POD + "# saved by an editor meanwhile\n")

    failed = write_plan(plan)

    assert failed == {"pod.yaml": "it changed while fix ran; run fix again"}
    assert (folder / "pod.yaml").read_text() == POD + "# saved by an editor meanwhile\n"
    assert [p.name for p in folder.iterdir()] == ["pod.yaml"], "no temporary file is left behind"


def test_written_file_keeps_its_mode(folder: Path) -> None:
    (folder / "pod.yaml").chmod(0o600)

    assert write_plan(plan_for(folder)) == {}

    assert (folder / "pod.yaml").stat().st_mode & 0o777 == 0o600
    assert (folder / "pod.yaml").read_text().endswith("  automountServiceAccountToken: false\n")
