"""The 'paths' command: formats, exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app

CHAIN = Path(__file__).parent / "rules" / "TL201" / "fail-three-files"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["paths", *args])
    return result.exit_code, result.stdout


def test_every_format_is_offered() -> None:
    for output_format in ("text", "json", "dot", "mermaid"):
        code, out = run(str(CHAIN), "--format", output_format)
        assert code == 0
        assert "shop/api" in out


def test_paths_exits_2_on_input_errors_and_still_shows_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n", encoding="utf-8")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers: []\n", encoding="utf-8"
    )
    code, out = run(str(tmp_path))
    assert code == 2
    assert "ServiceAccount x/default (not in the input)" in out
    assert "error" in out.splitlines()[0]


def test_paths_takes_the_configuration_like_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: {ns}}}\nspec:\n  containers: []\n"
    (tmp_path / "kept.yaml").write_text(pod.format(ns="kept"), encoding="utf-8")
    (tmp_path / "vendored.yaml").write_text(pod.format(ns="vendored"), encoding="utf-8")
    (tmp_path / "ci.yaml").write_text("exclude: [vendored.yaml]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out = run(".", "--config", "ci.yaml", "--output", "view.txt")
    assert (code, out) == (0, "")
    view = (tmp_path / "view.txt").read_text(encoding="utf-8")
    assert "ServiceAccount kept/default" in view
    assert "vendored" not in view
    code, out = run(".", "--config", "missing.yaml")
    assert code == 2
