"""README.md says only what is true: its sample output is a real run, its Quick start is
what CI runs (``.ci/run`` executes the block itself), and what it tells users to pin exists."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block_after(marker: str, language: str, text: str = README) -> str:
    """The fenced block of ``language`` that follows ``marker`` in ``text`` (README.md)."""
    found = re.search(re.escape(marker) + r".*?```" + language + r"\n(.*?)```", text, re.S)
    assert found is not None, f"no ```{language} block after {marker!r}"
    return found.group(1)


def test_the_sample_output_is_what_linting_the_example_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    outcome = CliRunner().invoke(app, ["lint", "--no-cache", "examples/acme-shop"])
    assert outcome.exit_code == 1
    assert block_after("`tokenlint lint examples/acme-shop` prints:", "text") == outcome.stdout


def test_the_quick_start_works_in_a_virtual_environment_it_creates() -> None:
    lines = block_after("## Quick start", "sh").splitlines()
    assert lines == [
        "python3 -m venv .venv && . .venv/bin/activate",
        "pip install . && tokenlint lint examples/acme-shop",
        "pip install '.[test]' && pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "## Quick start" in ci  # CI runs the block above, line by line, not a copy of it


def test_pinning_advice_names_nothing_that_does_not_exist() -> None:
    docs = [README, *(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))]
    for text in docs:
        assert "rev: v0.1.0" not in text
        assert "tokenlint@v1" not in text


def test_the_configuration_example_works_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / ".tokenlint.yaml"
    config.write_text(block_after("## Configuration", "yaml"), encoding="utf-8")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(app, ["lint", "--no-cache", "--format", "json", "examples/"])
    assert outcome.stderr == ""
    report = json.loads(outcome.stdout)
    assert report["errors"] == []
    assert outcome.exit_code == 1
    assert "TL007" not in {f["rule"] for f in report["findings"]}


def test_the_actions_page_says_what_private_repositories_and_forks_need() -> None:
    page = (ROOT / "docs" / "github-actions.md").read_text(encoding="utf-8")
    workflow = block_after("## Workflow", "yaml", page)
    assert "actions: read" in workflow
    assert "security-events: write" in workflow
    assert "Advanced Security" in page
    assert "github.event.pull_request.head.repo.fork" in page
    assert "--sarif-output" in page  # one run for the log and the SARIF file
