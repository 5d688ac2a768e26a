"""The composite action in action.yml: inputs, outputs and steps agree, and its lint script
does what the inputs say (run here with bash, with a stand-in Python and with the real one)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).parents[1]
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
LINT = next(step for step in STEPS if step.get("id") == "lint")
INPUT_REF = re.compile(r"inputs\.([A-Za-z0-9_-]+)")
STEP_REF = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
BUNDLE = ROOT / "tests" / "formatters" / "input"


def referenced(pattern: re.Pattern[str], value: Any) -> set[tuple[str, ...]]:
    return {m.groups() for m in pattern.finditer(json.dumps(value))}


def test_is_a_composite_action_with_bash_run_steps() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in STEPS if "run" in step)


def test_every_input_is_used_and_every_used_input_is_declared() -> None:
    used = {name for (name,) in referenced(INPUT_REF, STEPS)}
    assert used == set(ACTION["inputs"])


def test_inputs_have_descriptions_and_string_defaults() -> None:
    for name, spec in ACTION["inputs"].items():
        assert spec["description"], name
        assert isinstance(spec["default"], str), name


def test_outputs_come_from_the_lint_step_which_writes_them() -> None:
    assert set(ACTION["outputs"]) == {"sarif-file", "exit-code"}
    for name, spec in ACTION["outputs"].items():
        assert referenced(STEP_REF, spec["value"]) == {("lint", name)}
        assert f'echo "{name}=' in LINT["run"]


def test_steps_only_read_outputs_of_earlier_steps() -> None:
    seen: set[str] = set()
    for step in STEPS:
        assert {step_id for step_id, _ in referenced(STEP_REF, step)} <= seen, step["name"]
        seen.add(step.get("id", ""))


def test_scripts_get_inputs_through_the_environment_only() -> None:
    for step in STEPS:
        assert "${{" not in step.get("run", ""), step["name"]


def test_tokenlint_is_installed_from_the_actions_own_checkout() -> None:
    install = next(step for step in STEPS if step.get("id") == "install")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '-m pip install --quiet --disable-pip-version-check "$ACTION_PATH"' in install["run"]


def test_failing_is_a_separate_step_after_the_report_and_only_when_asked() -> None:
    fail = STEPS[-1]
    assert STEPS.index(LINT) < STEPS.index(fail)
    assert fail["if"] == "inputs.fail == 'true' && steps.lint.outputs.exit-code != '0'"
    assert 'exit "$EXIT_CODE"' in fail["run"]
    assert ACTION["inputs"]["fail"]["default"] == "false"


FAKE_PYTHON = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG"
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in --output | --sarif-output) j=$((i + 1)); echo '{}' > "${!j}" ;; esac
done
exit "$FAKE_STATUS"
"""


def run_lint_step(
    tmp_path: Path, python: str, status: str = "0", **inputs: str
) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """Run the lint step's script as the runner would, its env filled from ``inputs`` and defaults.

    ``status`` is the exit status of the stand-in Python.
    """
    values = {name: spec["default"] for name, spec in ACTION["inputs"].items()} | inputs
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(tmp_path / "github_output")}
    env |= {"FAKE_LOG": str(tmp_path / "calls"), "FAKE_STATUS": status}
    for key, expression in LINT["env"].items():
        if key == "TOKENLINT_PYTHON":
            env[key] = python
        else:
            ((name,),) = referenced(INPUT_REF, expression)
            env[key] = values[name]
    done = subprocess.run(
        ["bash", "-c", LINT["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    lines = (tmp_path / "github_output").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines), done


@pytest.fixture
def fake_python(tmp_path: Path) -> str:
    path = tmp_path / "fake-python"
    path.write_text(FAKE_PYTHON, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls").read_text(encoding="utf-8").splitlines()


def test_defaults_lint_once_printing_annotations_and_writing_sarif(tmp_path: Path, fake_python: str) -> None:
    outputs, _ = run_lint_step(tmp_path, fake_python)
    assert calls(tmp_path) == ["-m tokenlint lint . --fail-on low --format github --sarif-output tokenlint.sarif"]
    assert outputs == {"sarif-file": "tokenlint.sarif", "exit-code": "0"}


def test_paths_split_on_spaces_and_lines_and_config_passed_when_set(tmp_path: Path, fake_python: str) -> None:
    run_lint_step(
        tmp_path, fake_python, paths="deploy charts/app\n  base/*.yaml\n", config=".tokenlint.yaml", format="sarif"
    )
    assert calls(tmp_path) == [
        "-m tokenlint lint deploy charts/app base/*.yaml --fail-on low --config .tokenlint.yaml"
        " --format sarif --output tokenlint.sarif",
    ]


def test_findings_do_not_stop_the_step_and_set_the_exit_code(tmp_path: Path, fake_python: str) -> None:
    outputs, _ = run_lint_step(tmp_path, fake_python, status="1", **{"fail-on": "high", "sarif-file": "out.sarif"})
    assert outputs == {"sarif-file": "out.sarif", "exit-code": "1"}
    assert (tmp_path / "out.sarif").exists()
    assert calls(tmp_path) == ["-m tokenlint lint . --fail-on high --format github --sarif-output out.sarif"]


def test_real_run_writes_the_sarif_report(tmp_path: Path) -> None:
    outputs, done = run_lint_step(tmp_path, sys.executable, paths=str(BUNDLE / "secrets.yaml"), format="text")
    assert outputs["exit-code"] == "1"
    log = json.loads((tmp_path / outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert "TL002" in {r["ruleId"] for r in log["runs"][0]["results"]}
    assert "TL002 [high]" in done.stdout
