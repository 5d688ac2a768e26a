"""The pre-commit hook, run by the real pre-commit against a throwaway repository.

pre-commit installs the hook from a clone of this project's committed HEAD into its own
virtualenv (``language: python``, so pip needs its package index), once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from manifests import API_DEPLOYMENT

PROJECT = Path(__file__).resolve().parents[1]
PRE_COMMIT = shutil.which("pre-commit")

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed")


ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: shop
{extra}"""

WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  template:
    spec:
      serviceAccountName: worker
      containers:
        - name: worker
          image: registry.example/worker:1.0
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of the committed project: what a user's ``rev:`` would point at."""
    clone = tmp_path_factory.mktemp("hook") / "tokenlint"
    git(PROJECT, "clone", "--quiet", "--no-local", str(PROJECT), str(clone))
    assert (clone / ".pre-commit-hooks.yaml").is_file(), "commit .pre-commit-hooks.yaml first"
    return clone, git(clone, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A repository where api.yaml's ServiceAccount (in account.yaml) turns the token off,
    and worker.yaml's (in worker-account.yaml) does not. Only TL001 is selected so that
    each expectation is about the cross-file chain and nothing else."""
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "api.yaml").write_text(API_DEPLOYMENT)
    (repo / "deploy" / "account.yaml").write_text(
        ACCOUNT.format(name="api", extra="automountServiceAccountToken: false\n")
    )
    (repo / "deploy" / "worker.yaml").write_text(WORKER)
    (repo / "deploy" / "worker-account.yaml").write_text(ACCOUNT.format(name="worker", extra=""))
    (repo / ".tokenlint.yaml").write_text("select: [TL001]\n")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "manifests")
    return repo


def try_repo(
    user: Path, hook: tuple[Path, str], home: Path, cache: Path, *files: str
) -> subprocess.CompletedProcess[str]:
    clone, rev = hook
    assert PRE_COMMIT is not None
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "TOKENLINT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    command = [PRE_COMMIT, "try-repo", str(clone), "tokenlint", "--ref", rev, "--color", "never", "--files", *files]
    return subprocess.run(command, check=False, cwd=user, env=env, capture_output=True, text=True, timeout=900)


def test_the_manifest_is_valid() -> None:
    assert PRE_COMMIT is not None
    for command in (["validate-manifest", ".pre-commit-hooks.yaml"], ["validate-config", ".pre-commit-config.yaml"]):
        done = subprocess.run([PRE_COMMIT, *command], check=False, cwd=PROJECT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_changed_deployment_is_judged_with_its_unchanged_service_account(
    user_repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path, tmp_path: Path
) -> None:
    # Only api.yaml changed; the ServiceAccount that turns the token off sits in
    # account.yaml, which pre-commit does not pass. A hook that trusted its file list
    # would report TL001 here.
    (user_repo / "deploy" / "api.yaml").write_text(API_DEPLOYMENT.replace("api:1.0", "api:1.1"))
    done = try_repo(user_repo, hook_repo, pre_commit_home, tmp_path / "cache", "deploy/api.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
    assert "TL001" not in done.stdout


def test_a_changed_deployment_whose_account_mounts_the_token_fails(
    user_repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path, tmp_path: Path
) -> None:
    done = try_repo(user_repo, hook_repo, pre_commit_home, tmp_path / "cache", "deploy/worker.yaml", "deploy/api.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    reported = [line.strip() for line in done.stdout.splitlines() if ": TL001 " in line]
    assert len(reported) == 1, done.stdout
    assert reported[0].startswith("deploy/worker.yaml:9:7: TL001")
    assert "ServiceAccount shop/worker" in reported[0]


def test_findings_in_unchanged_files_are_not_reported(
    user_repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path, tmp_path: Path
) -> None:
    # worker.yaml has a finding, but only account.yaml changed and the finding does not
    # pass through it: the commit is not blocked by older debt elsewhere.
    done = try_repo(user_repo, hook_repo, pre_commit_home, tmp_path / "cache", "deploy/account.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "TL001" not in done.stdout


@pytest.fixture
def chart_repo(tmp_path: Path) -> Path:
    """A repository holding the storefront chart without its ci/ folder, as most public
    charts are: its only values scenario is the default values."""
    repo = tmp_path / "charts-repo"
    shutil.copytree(PROJECT / "examples" / "charts" / "storefront", repo / "shop", ignore=shutil.ignore_patterns("ci"))
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "chart")
    return repo


@pytest.mark.parametrize(
    ("changed", "edit"),
    [
        ("shop/templates/deployment.yaml", ("- containerPort: 8080", "- containerPort: 8081")),
        ("shop/values.yaml", ("storefront:1.14.2", "storefront:1.14.3")),
    ],
)
def test_a_changed_file_of_a_chart_without_ci_reports_its_cross_file_findings(
    chart_repo: Path,
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    tmp_path: Path,
    changed: str,
    edit: tuple[str, str],
) -> None:
    path = chart_repo / changed
    path.write_text(path.read_text().replace(*edit))
    done = try_repo(chart_repo, hook_repo, pre_commit_home, tmp_path / "cache", changed)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    lines = [line.strip() for line in done.stdout.splitlines()]
    reported = sorted(line.split(" [")[0] for line in lines if line.startswith("shop/") and ": TL" in line)
    assert reported == [
        "shop/templates/deployment.yaml:16:5: TL005",
        "shop/templates/deployment.yaml:17:7: TL001",
        "shop/templates/deployment.yaml:17:7: TL201",
        "shop/templates/rbac.yaml:7:3: TL101",
    ], done.stdout
