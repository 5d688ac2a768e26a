from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from manifests import API_DEPLOYMENT

from tokenlint.engine.cache import FileCache, default_directory
from tokenlint.engine.run import LintResult, lint
from tokenlint.inputs.discover import discover
from tokenlint.k8s.workloads import slim_for_index, workload_of
from tokenlint.resources.resource import Stream, resources_of
from tokenlint.rulekit.registry import RuleSet, load_rules
from tokenlint.yaml.reader import parse_stream

ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: shop
automountServiceAccountToken: {automount}
"""

READER = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: shop
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: api-reader
  namespace: shop
  annotations:
    ignore.tokenlint.io/TL101: "the reader is only bound here for the test"
subjects:
  - kind: ServiceAccount
    name: api
    namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
---
apiVersion: v1
kind: Secret
metadata:
  name: legacy
  namespace: shop
  annotations:
    kubernetes.io/service-account.name: api
type: kubernetes.io/service-account-token
"""


@pytest.fixture
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "api.yaml").write_text(API_DEPLOYMENT)
    (root / "account.yaml").write_text(ACCOUNT.format(automount="true"))
    (root / "rbac.yaml").write_text(READER)
    monkeypatch.chdir(root)
    return root


def summary(result: LintResult) -> tuple[object, ...]:
    """Everything a reporter sees, so a cached run must match a cold one exactly."""
    return (result.findings, result.errors, result.files, result.documents, result.resources, result.skipped)


def run(rules: RuleSet, cache: FileCache | None) -> LintResult:
    return lint(discover(["."]), rules, cache=cache)


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_cached_run_reports_exactly_what_a_cold_run_reports(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, None)
    assert {f.rule for f in cold.findings} >= {"TL001", "TL002", "TL201"}
    first = run(rules, cache)
    assert len(entries(tmp_path / "cache")) == 3
    warm = run(rules, cache)
    assert summary(warm) == summary(cold) == summary(first)
    assert [f.suppression for f in warm.findings] == [f.suppression for f in cold.findings]


def test_cached_resources_are_located_exactly_like_parsed_ones(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    run(rules, cache)
    (stream,) = discover(["api.yaml"])
    assert isinstance(stream, Stream)
    record = cache.load(stream)
    assert record is not None
    (cached,) = record.kept
    (doc,), _ = parse_stream(API_DEPLOYMENT.encode())
    (parsed,) = resources_of(doc, cached.origin, "default")
    workload = workload_of(parsed)
    assert workload is not None
    slim_for_index(workload)  # what the index keeps of a workload, cached or not
    assert cached.body == parsed.body
    for path in [
        (),
        ("spec", "template", "spec", "serviceAccountName"),
        ("spec", "template", "spec", "containers", 0, "name"),
        ("spec", "template", "spec", "containers", 0, "image"),  # not kept: its container
        ("spec", "template", "spec", "containers", 0),
        ("spec", "template", "spec", "automountServiceAccountToken"),  # absent: its closest parent
        ("spec", "template", "spec", "containers", 3),  # out of range
        ("spec", "template", "spec", "serviceAccountName", "deeper"),  # below a scalar
    ]:
        assert cached.locate(path) == parsed.locate(path), path


def test_a_content_change_invalidates_only_that_file(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    before = run(rules, cache)
    assert any(f.rule == "TL001" and f.resource.name == "api" for f in before.findings)
    (repo / "account.yaml").write_text(ACCOUNT.format(automount="false"))
    after = run(rules, cache)
    assert len(entries(tmp_path / "cache")) == 4
    assert not any(f.rule == "TL001" and f.resource.name == "api" for f in after.findings)
    assert summary(after) == summary(run(rules, None))


def test_other_rule_options_use_other_entries(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    one = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    other = FileCache.for_run(tmp_path / "cache", rules, {"TL006": {"max-expiration-seconds": 60}}, "default")
    elsewhere = FileCache.for_run(tmp_path / "cache", rules, {}, "prod")
    assert len({one._salt, other._salt, elsewhere._salt}) == 3


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:20] + bytes([b[20] ^ 0xFF]) + b[21:], id="flipped-byte"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"not a cache entry at all", id="garbage"),
    ],
)
def test_a_damaged_entry_is_ignored_and_rewritten(repo: Path, tmp_path: Path, rules: RuleSet, damage: object) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, cache)
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert summary(run(rules, cache)) == summary(cold)
    assert all(entry.stat().st_size > 100 for entry in entries(tmp_path / "cache"))
    assert summary(run(rules, cache)) == summary(cold)


def test_an_entry_naming_anything_but_plain_data_is_refused(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    import pickle
    import zlib

    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, cache)
    payload = pickle.dumps((os.system, ("echo pwned > pwned",)))
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(b"TLC1" + zlib.crc32(payload).to_bytes(4, "big") + payload)
    assert summary(run(rules, cache)) == summary(cold)
    assert not (repo / "pwned").exists()


def test_an_unwritable_cache_folder_is_not_an_error(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = FileCache.for_run(blocker / "cache", rules, {}, "default")
    assert summary(run(rules, cache)) == summary(run(rules, None))


WRITER = """
import random
import sys
from pathlib import Path
from tokenlint.engine.cache import FileCache
from tokenlint.engine.run import lint
from tokenlint.rulekit.registry import load_rules
from tokenlint.inputs.discover import discover

rules = load_rules()
cache = FileCache.for_run(Path(sys.argv[1]), rules, {}, "default")
for _ in range(15):
    for entry in Path(sys.argv[1]).rglob("*"):
        if entry.is_file() and random.random() < 0.5:
            entry.unlink(missing_ok=True)  # the other writer may be reading or replacing it
    result = lint(discover(["."]), rules, cache=cache)
    print(len(result.findings), len(result.errors), result.resources)
"""


def test_concurrent_runs_share_a_cache_safely(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    folder = tmp_path / "cache"
    cold = run(rules, None)
    expected = f"{len(cold.findings)} {len(cold.errors)} {cold.resources}"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for writer in writers:
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
        assert set(out.split("\n")[:-1]) == {expected}
    assert not list(folder.rglob(".tmp-*"))
    cache = FileCache.for_run(folder, rules, {}, "default")
    assert summary(run(rules, cache)) == summary(cold)


def test_default_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOKENLINT_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_directory() == tmp_path / "explicit"
    monkeypatch.delenv("TOKENLINT_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert default_directory() == tmp_path / "xdg" / "tokenlint"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
        assert default_directory() == Path.home() / ".cache" / "tokenlint"
