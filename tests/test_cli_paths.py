"""The 'paths' command: formats, exit status."""

from __future__ import annotations

from pathlib import Path

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
