"""Run every rule over its fixtures and compare the exact findings with the annotations.

Each rule has a folder ``tests/rules/<ID>/`` with ``fail*.yaml`` / ``pass*.yaml`` files, or
``fail-*/`` / ``pass-*/`` sub-folders whose files are linted together as one bundle.
An expected finding is written on the line above the offending line::

    # expect: TL003 ClusterRole/wild
    - "*"

Several ``# expect:`` lines may stack above one line. The rule runs alone and the set of
(rule, file, line, Kind/name) it reports must equal the set written in the fixture: a
wrong line, a wrong resource, a missing or an extra finding all fail with a diff. An
annotation may end with a severity (``# expect: TL202 DaemonSet/agent critical``), which
the finding must then have.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest

from tokenlint.engine.run import LintResult, lint
from tokenlint.inputs.discover import discover
from tokenlint.model import Finding
from tokenlint.rulekit.registry import load_rules
from tokenlint.rulekit.rule import RULE_ID

RULES_DIR = Path(__file__).parent
FIXTURE_SUFFIXES = (".yaml", ".yml")
EXPECT = re.compile(
    r"^\s*#\s*expect:\s*(?P<rule>\S+)\s+(?P<resource>\S+)(?:\s+(?P<severity>info|low|medium|high|critical))?\s*$"
)
EXPECT_LOOSE = re.compile(r"^\s*#\s*expect\b")

Key = tuple[str, str, int, str]
"""(rule id, file relative to the rule folder, line, Kind/name)."""


@dataclass(frozen=True)
class Case:
    """One fixture: a file, or a folder linted as one bundle."""

    rule_id: str
    path: Path

    @property
    def failing(self) -> bool:
        return self.path.name.startswith("fail")

    @property
    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.is_file() and p.suffix in FIXTURE_SUFFIXES)

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.path.name}"


def rule_folders() -> list[Path]:
    return sorted(p for p in RULES_DIR.iterdir() if p.is_dir() and RULE_ID.match(p.name))


def cases_of(folder: Path) -> list[Case]:
    """The fixtures of one rule folder, failing and passing alike."""
    found = []
    for entry in sorted(folder.iterdir()):
        if not entry.name.startswith(("fail", "pass")):
            continue
        is_file_case = entry.is_file() and entry.suffix in FIXTURE_SUFFIXES
        is_bundle_case = entry.is_dir() and entry.name.startswith(("fail-", "pass-"))
        if is_file_case or is_bundle_case:
            found.append(Case(folder.name, entry))
    return found


ALL_CASES = [case for folder in rule_folders() for case in cases_of(folder)]


def expectations(case: Case) -> dict[Key, str | None]:
    """The ``# expect:`` annotations of a fixture, each bound to the first line below its stack.

    Each maps to the severity it names (``# expect: TL202 DaemonSet/x high``), or None.
    """
    expected: dict[Key, str | None] = {}
    root = case.path.parent
    for file in case.files:
        lines = file.read_text(encoding="utf-8").splitlines()
        pending: list[tuple[int, str, str, str | None]] = []
        for number, text in enumerate(lines, start=1):
            match = EXPECT.match(text)
            if match:
                pending.append((number, match["rule"], match["resource"], match["severity"]))
                continue
            if EXPECT_LOOSE.match(text):
                pytest.fail(f"{file}:{number}: malformed annotation, write '# expect: <ID> <Kind>/<name>'")
            for at, rule, resource, severity in pending:
                if rule != case.rule_id:
                    pytest.fail(f"{file}:{at}: expects {rule}, but only {case.rule_id} runs on its fixtures")
                expected[(rule, file.relative_to(root).as_posix(), number, resource)] = severity
            pending = []
        if pending:
            pytest.fail(f"{file}:{pending[0][0]}: '# expect:' at the end of the file annotates no line")
    return expected


def run_rule(case: Case) -> LintResult:
    rules = load_rules().select([case.rule_id])
    return lint(discover([str(f) for f in case.files]), rules)


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


def actual_findings(result: LintResult, case: Case) -> dict[Key, str]:
    """Each reported finding as a comparable key, mapped to its message for the diff."""
    return {key: f.message for key, f in _keyed(result, case)}


def actual_severities(result: LintResult, case: Case) -> dict[Key, str]:
    return {key: f.severity.label for key, f in _keyed(result, case)}


def _keyed(result: LintResult, case: Case) -> list[tuple[Key, Finding]]:
    root = case.path.parent
    return [
        ((f.rule, _relative(f.location.path, root), f.location.line, f"{f.resource.kind}/{f.resource.name}"), f)
        for f in result.findings
    ]


def _source_line(root: Path, file: str, line: int) -> str:
    try:
        return (root / file).read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return "?"


def diff(case: Case, expected: Collection[Key], actual: dict[Key, str]) -> str:
    """A readable report of the difference: each missing and unexpected finding with its source line."""
    root = case.path.parent
    out = [f"findings of {case} differ from its '# expect:' annotations"]
    for title, keys in (
        ("missing (expected, not reported)", set(expected) - actual.keys()),
        ("unexpected", actual.keys() - set(expected)),
    ):
        if not keys:
            continue
        out.append(f"  {title}:")
        for rule, file, line, resource in sorted(keys, key=lambda k: (k[1], k[2], k[3])):
            out.append(f"    {file}:{line} {rule} {resource}    | {_source_line(root, file, line)}")
            if (rule, file, line, resource) in actual:
                out.append(f"        message: {actual[(rule, file, line, resource)]}")
    return "\n".join(out)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_fixture(case: Case) -> None:
    assert case.files, f"{case} holds no .yaml fixture files"
    expected = expectations(case)
    if case.failing:
        assert expected, f"{case} is a failing fixture without any '# expect:' annotation"
    else:
        assert not expected, f"{case} is a passing fixture but carries '# expect:' annotations"
    result = run_rule(case)
    errors = [f"{e.path}:{e.line}: {e.message}" for e in result.errors]
    assert not errors, f"{case} must be valid input, got errors:\n  " + "\n  ".join(errors)
    actual = actual_findings(result, case)
    if actual.keys() != expected.keys():
        pytest.fail(diff(case, expected.keys(), actual), pytrace=False)
    severities = actual_severities(result, case)
    wrong = [
        f"{k[1]}:{k[2]} {k[0]} {k[3]}: expected {v}, got {severities[k]}"
        for k, v in expected.items()
        if v and v != severities[k]
    ]
    assert not wrong, "severities differ:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("folder", rule_folders(), ids=lambda p: p.name)
def test_folder_names_an_installed_rule(folder: Path) -> None:
    rule = load_rules().by_id(folder.name)
    assert rule is not None, f"{folder.name} is not the id of any installed rule"
    assert rule.meta.id == folder.name


# The harness itself: a harness that cannot fail would let every rule test pass.

_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: old-token
  annotations:
    kubernetes.io/service-account.name: deployer
{expect}type: kubernetes.io/service-account-token
"""


def _case(tmp_path: Path, text: str, name: str = "fail.yaml") -> Case:
    folder = tmp_path / "TL002"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return Case("TL002", folder / name)


def test_harness_binds_stacked_annotations_to_the_line_below(tmp_path: Path) -> None:
    case = _case(tmp_path, _SECRET.format(expect="# expect: TL002 Secret/old-token\n# expect: TL002 Secret/other\n"))
    assert expectations(case) == {
        ("TL002", "fail.yaml", 9, "Secret/old-token"): None,
        ("TL002", "fail.yaml", 9, "Secret/other"): None,
    }


def test_harness_reads_an_expected_severity(tmp_path: Path) -> None:
    case = _case(tmp_path, _SECRET.format(expect="# expect: TL002 Secret/old-token high\n"))
    assert expectations(case) == {("TL002", "fail.yaml", 8, "Secret/old-token"): "high"}
    assert actual_severities(run_rule(case), case) == {("TL002", "fail.yaml", 8, "Secret/old-token"): "high"}


def test_harness_matches_an_exact_annotation(tmp_path: Path) -> None:
    case = _case(tmp_path, _SECRET.format(expect="# expect: TL002 Secret/old-token\n"))
    assert actual_findings(run_rule(case), case).keys() == expectations(case).keys()


def test_harness_diff_shows_a_wrong_line(tmp_path: Path) -> None:
    text = _SECRET.format(expect="")
    text = text.replace("  name: old-token\n", "  # expect: TL002 Secret/old-token\n  name: old-token\n")
    case = _case(tmp_path, text)
    expected = expectations(case)
    actual = actual_findings(run_rule(case), case)
    assert actual.keys() != expected
    report = diff(case, expected, actual)
    assert "missing (expected, not reported):\n    fail.yaml:5 TL002 Secret/old-token    | name: old-token" in report
    assert (
        "unexpected:\n    fail.yaml:8 TL002 Secret/old-token    | type: kubernetes.io/service-account-token" in report
    )
    assert "message: legacy token Secret for service account deployer" in report


def test_harness_rejects_annotations_of_another_rule(tmp_path: Path) -> None:
    case = _case(tmp_path, _SECRET.format(expect="# expect: TL003 Secret/old-token\n"))
    with pytest.raises(pytest.fail.Exception, match="expects TL003, but only TL002 runs"):
        expectations(case)


def test_harness_rejects_malformed_annotations(tmp_path: Path) -> None:
    case = _case(tmp_path, _SECRET.format(expect="# expect: TL002\n"))
    with pytest.raises(pytest.fail.Exception, match="malformed annotation"):
        expectations(case)


def test_harness_finds_file_and_folder_cases(tmp_path: Path) -> None:
    folder = tmp_path / "TL002"
    (folder / "fail-bundle").mkdir(parents=True)
    for name in ("fail.yaml", "pass-x.yaml", "fail-bundle/a.yaml", "fail-bundle/b.yml", "README.md", "notes.yaml"):
        (folder / name).write_text("", encoding="utf-8")
    cases = cases_of(folder)
    assert [c.path.name for c in cases] == ["fail-bundle", "fail.yaml", "pass-x.yaml"]
    assert [f.name for f in cases[0].files] == ["a.yaml", "b.yml"]
    assert [c.failing for c in cases] == [True, True, False]
