"""What a pre-commit run pays before linting: modules only some runs need stay unloaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from manifests import CONFIG_MAP

PROBE = """\
import sys
import tokenlint.cli
sys.argv = ["tokenlint", "lint", "--no-cache", "settings.yaml"]
try:
    tokenlint.cli.app()
except SystemExit as done:
    lazy = ("jsonschema", "tokenlint.rulekit.customrules", "tokenlint.report.html")
    print(done.code, sorted(m for m in lazy if m in sys.modules))
"""


def test_a_run_without_configuration_does_not_load_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(CONFIG_MAP)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_a_configuration_file_loads_it_and_is_validated(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(CONFIG_MAP)
    (tmp_path / ".tokenlint.yaml").write_text("select: [TL999]\nunknown-key: 1\n")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "2 ['jsonschema']"
    assert ".tokenlint.yaml:2: unknown-key: unknown key" in done.stderr
