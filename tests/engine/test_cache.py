from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from manifests import API_DEPLOYMENT

from tokenlint.engine.cache import FileCache, default_directory, prune
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
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in ("secret", "pruned"))


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
    record = cache.load(stream, lambda: pytest.fail("an intact entry is never read again"))
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


def _forge(entry: Path, payload: bytes, key: bytes | None) -> None:
    """Write ``payload`` as an entry, signed with ``key`` (the folder's secret) or not at all."""
    signature = hmac.new(key, payload, hashlib.sha256).digest() if key else bytes(32)
    entry.write_bytes(b"TLC2" + signature + payload)


def test_an_entry_not_signed_with_the_folder_secret_is_never_decoded(
    repo: Path, tmp_path: Path, rules: RuleSet
) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, cache)
    payload = pickle.dumps((os.system, ("echo pwned > pwned",)))
    for entry in entries(tmp_path / "cache"):
        _forge(entry, payload, os.urandom(32))
    assert summary(run(rules, cache)) == summary(cold)
    assert not (repo / "pwned").exists()
    secret = next((tmp_path / "cache").rglob("secret"))
    assert secret.stat().st_mode & 0o777 == 0o600


def test_an_entry_naming_anything_but_plain_data_is_refused(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, cache)
    key = next((tmp_path / "cache").rglob("secret")).read_bytes()
    payload = pickle.dumps((os.system, ("echo pwned > pwned",)))
    for entry in entries(tmp_path / "cache"):
        _forge(entry, payload, key)  # even with the secret: only plain data may be named
    assert summary(run(rules, cache)) == summary(cold)
    assert not (repo / "pwned").exists()


@pytest.mark.parametrize("part", [3, 2], ids=["body", "positions"])
def test_a_kept_part_that_fails_to_decode_later_is_read_again_and_rewritten(
    repo: Path, tmp_path: Path, rules: RuleSet, part: int
) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    cold = run(rules, cache)
    key = next((tmp_path / "cache").rglob("secret")).read_bytes()
    damaged = []
    for entry in entries(tmp_path / "cache"):
        record = pickle.loads(entry.read_bytes()[36:])
        if record[-1]:  # kept resources: damage what is decoded only when a rule reads it
            kept = [tuple(b"\x80\x05garbage" if i == part else v for i, v in enumerate(k)) for k in record[-1]]
            _forge(entry, pickle.dumps((*record[:-1], tuple(kept))), key)
            damaged.append((entry, entry.read_bytes()))
    assert damaged
    assert summary(run(rules, cache)) == summary(cold)
    assert any(entry.read_bytes() != before for entry, before in damaged)  # rewritten
    assert summary(run(rules, cache)) == summary(cold)


def test_pruning_deletes_old_entries_then_the_least_recently_used(tmp_path: Path) -> None:
    folder = tmp_path / "v4"
    now = time.time()
    for number, age_days in enumerate([40, 20, 10, 1, 0]):
        entry = folder / "ab" / f"entry{number}"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(b"x" * 1000)
        os.utime(entry, (now - age_days * 86400, now - age_days * 86400))
    (folder / "secret").write_bytes(b"k" * 32)
    assert prune(folder, max_age_days=30, max_size=10_000) == 1
    assert sorted(p.name for p in (folder / "ab").iterdir()) == ["entry1", "entry2", "entry3", "entry4"]
    assert prune(folder, max_age_days=30, max_size=2_500) == 2
    assert sorted(p.name for p in (folder / "ab").iterdir()) == ["entry3", "entry4"]
    assert (folder / "secret").exists()


def test_a_run_prunes_the_folder_at_most_once_a_day(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    run(rules, cache)
    stale = cache.directory / "zz" / "stale"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    old = time.time() - 60 * 86400
    os.utime(stale, (old, old))
    (repo / "new.yaml").write_text(ACCOUNT.format(automount="false"))
    run(rules, FileCache.for_run(tmp_path / "cache", rules, {}, "default"))
    assert stale.exists()  # pruned less than a day ago
    os.utime(cache.directory / "pruned", (old, old))
    (repo / "newer.yaml").write_text(ACCOUNT.format(automount="true").replace("api", "web"))
    run(rules, FileCache.for_run(tmp_path / "cache", rules, {}, "default"))
    assert not stale.exists()


def test_a_used_entry_is_kept_by_pruning(repo: Path, tmp_path: Path, rules: RuleSet) -> None:
    cache = FileCache.for_run(tmp_path / "cache", rules, {}, "default")
    run(rules, cache)
    old = time.time() - 60 * 86400
    for entry in entries(tmp_path / "cache"):
        os.utime(entry, (old, old))
    run(rules, cache)  # every entry is used, which refreshes it
    assert prune(cache.directory) == 0
    assert len(entries(tmp_path / "cache")) == 3


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
