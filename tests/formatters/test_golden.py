"""End to end: the CLI over the fixed bundle in input/, compared with golden/ in every format.

Volatile fields are normalised: the tool version, the absolute directory of the run, and
the rule pages embedded in SARIF (they belong to the rules, not to the formatter).
Regenerate after an intended change with ``TOKENLINT_UPDATE_GOLDEN=1 pytest tests/formatters``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import sarif_errors
from typer.testing import CliRunner

from tokenlint import __version__
from tokenlint.cli import app

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
RULES = "TL001,TL002,TL003"
"""Only the rules the bundle is written for, so a new rule does not change these files."""


def normalise_sarif(text: str) -> str:
    log = json.loads(text)
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        driver["version"] = driver["semanticVersion"] = "<version>"
        for rule in driver["rules"]:
            rule["help"] = {"text": "<rule page>", "markdown": "<rule page>"}
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file://<cwd>/"
    return json.dumps(log, indent=2) + "\n"


def normalise_json(text: str) -> str:
    return text.replace(f'"version": "{__version__}"', '"version": "<version>"')


NORMALISE = {"text": str, "github": str, "json": normalise_json, "sarif": normalise_sarif}


@pytest.mark.parametrize("output_format", sorted(NORMALISE))
def test_output_matches_golden(monkeypatch: pytest.MonkeyPatch, output_format: str) -> None:
    monkeypatch.chdir(HERE)
    result = CliRunner().invoke(app, ["lint", "input", "--select", RULES, "--format", output_format])
    assert result.exit_code == 2, result.output  # input/broken.yaml is not YAML
    if output_format == "sarif":
        assert sarif_errors(json.loads(result.stdout)) == []
    actual = NORMALISE[output_format](result.stdout)
    golden = GOLDEN / f"bundle.{output_format}"
    if os.environ.get("TOKENLINT_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")
