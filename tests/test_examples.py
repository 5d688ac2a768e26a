"""The examples a user runs first must say exactly what the README shows."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenlint.engine.run import LintResult, lint
from tokenlint.inputs.discover import discover
from tokenlint.rulekit.registry import load_rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _at_root() -> Iterator[None]:
    before = Path.cwd()
    os.chdir(ROOT)
    yield
    os.chdir(before)


def run(path: str) -> LintResult:
    return lint(discover([path]), load_rules())


def test_acme_shop_reports_every_open_link() -> None:
    result = run("examples/acme-shop")
    assert not result.errors
    assert [(f.rule, f.location.path, f.location.line, f.resource.display()) for f in result.findings] == [
        ("TL005", "examples/acme-shop/api.yaml", 23, "Deployment acme-prod/api"),
        ("TL001", "examples/acme-shop/api.yaml", 24, "Deployment acme-prod/api"),
        ("TL201", "examples/acme-shop/api.yaml", 24, "Deployment acme-prod/api"),
        ("TL002", "examples/acme-shop/api.yaml", 38, "Secret acme-prod/api-token"),
        ("TL101", "examples/acme-shop/rbac.yaml", 10, "Role acme-prod/api-config-reader"),
        ("TL004", "examples/acme-shop/rbac.yaml", 34, "ClusterRole acme-ops"),
        ("TL004", "examples/acme-shop/rbac.yaml", 35, "ClusterRole acme-ops"),
        ("TL003", "examples/acme-shop/rbac.yaml", 36, "ClusterRole acme-ops"),
        ("TL005", "examples/acme-shop/reports.yaml", 12, "CronJob acme-prod/sales-report"),
        ("TL006", "examples/acme-shop/reports.yaml", 28, "CronJob acme-prod/sales-report"),
    ]


def test_hardened_acme_shop_is_clean() -> None:
    result = run("examples/acme-shop-hardened")
    assert (result.findings, result.errors, result.resources) == ([], [], 9)


def test_storefront_chart_findings_land_on_template_lines_and_its_ci_scenario_is_clean() -> None:
    result = run("examples/charts/storefront")
    assert not result.errors
    templates = "examples/charts/storefront/templates"
    assert [(f.rule, f.location.path, f.location.line, f.scenarios) for f in result.findings] == [
        ("TL005", f"{templates}/deployment.yaml", 16, ("default",)),
        ("TL001", f"{templates}/deployment.yaml", 17, ("default",)),
        ("TL201", f"{templates}/deployment.yaml", 17, ("default",)),
        ("TL101", f"{templates}/rbac.yaml", 7, ("default",)),
    ]


def test_kustomize_example_reports_the_staging_overlay_in_its_base_and_the_hardened_overlay_is_clean() -> None:
    if shutil.which("kustomize") is None and shutil.which("kubectl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no kustomize or kubectl on PATH: CI must run the kustomize example")
        pytest.skip("neither kustomize nor kubectl is installed")
    result = run("examples/kustomize")
    assert not result.errors
    staging = ("examples/kustomize/overlays/staging",)
    assert [(f.rule, f.location.path, f.location.line, f.scenarios, f.resource.display()) for f in result.findings] == [
        ("TL005", "examples/kustomize/base/api.yaml", 16, staging, "Deployment acme-staging/staging-api"),
        ("TL001", "examples/kustomize/base/api.yaml", 17, staging, "Deployment acme-staging/staging-api"),
        ("TL201", "examples/kustomize/base/api.yaml", 17, staging, "Deployment acme-staging/staging-api"),
        ("TL101", "examples/kustomize/base/rbac.yaml", 6, staging, "Role acme-staging/staging-api-config-reader"),
    ]
    hardened = run("examples/kustomize/overlays/prod-hardened")
    assert (hardened.findings, hardened.errors, hardened.resources) == ([], [], 5)
