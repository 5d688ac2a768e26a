from __future__ import annotations

from pathlib import Path

import pytest

from tokenlint.engine.run import LintResult
from tokenlint.engine.scope import ChangeScope
from tokenlint.model import Finding, InputError, Location, Related, ResourceRef, Severity

DEPLOYMENT = ResourceRef("apps/v1", "Deployment", "shop", "api")


def finding(path: str, *related: str) -> Finding:
    return Finding(
        rule="TL201",
        name="token-escalation-path",
        severity=Severity.HIGH,
        message="m",
        resource=DEPLOYMENT,
        location=Location(path, 3, 1),
        related=tuple(Related("link", Location(p, 1, 1)) for p in related),
        chain=bool(related),
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "charts" / "web" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_findings_in_or_chained_through_a_changed_file_are_kept(repo: Path) -> None:
    in_file = finding("deploy/api.yaml")
    through = finding("deploy/api.yaml", "deploy/account.yaml", "rbac/binding.yaml")
    elsewhere = finding("deploy/worker.yaml", "deploy/worker-account.yaml")
    errors = [InputError("rbac/binding.yaml", 2, 1, "bad"), InputError("deploy/worker.yaml", 2, 1, "bad")]
    result = LintResult(findings=[in_file, through, elsewhere], errors=errors, files=9)
    kept = ChangeScope.of(["rbac/binding.yaml"]).restrict(result)
    assert kept.findings == [through]
    assert kept.errors == [errors[0]]
    assert kept.files == 9
    assert ChangeScope.of(["./deploy/api.yaml"]).restrict(result).findings == [in_file, through]


def test_a_changed_chart_file_puts_the_whole_chart_in_scope(repo: Path) -> None:
    scope = ChangeScope.of(["charts/web/values.yaml"])
    assert scope.charts == ("charts/web",)
    assert scope.touches("charts/web/templates/deployment.yaml")
    assert not scope.touches("charts/webapp/templates/deployment.yaml")
    assert ChangeScope.of(["charts/web/templates/_helpers.tpl"]).charts == ("charts/web",)
    assert ChangeScope.of(["deploy/api.yaml"]).charts == ()


def test_context_only_reports_findings_located_in_the_paths_and_every_input_error(repo: Path) -> None:
    (repo / "deploy").mkdir()
    in_folder = finding("deploy/api.yaml", "cluster.yaml")
    in_context = finding("cluster.yaml", "deploy/api.yaml")
    errors = [InputError("cluster.yaml", 2, 1, "bad")]
    result = LintResult(findings=[in_folder, in_context], errors=errors)
    kept = ChangeScope.of(["deploy"], context_only=True).restrict(result)
    assert kept.findings == [in_folder]
    assert kept.errors == errors
