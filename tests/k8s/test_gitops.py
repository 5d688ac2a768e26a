"""GitOps objects in the input: each source tokenlint does not fetch is named, in every format."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import sarif_errors
from typer.testing import CliRunner

from tokenlint.cli import app

TREES = Path(__file__).parents[1] / "kustomize" / "trees"
APPLICATION = (
    "Application argocd/shop deploys path deploy/shop/overlays/prod of https://git.example/platform.git at main"
)
KUSTOMIZATION = "Kustomization flux-system/billing deploys path ./deploy/billing of GitRepository platform"
HELM_RELEASE = "HelmRelease flux-system/ingress deploys chart ingress-nginx of HelmRepository ingress-nginx"
NOT_LINTED = ", which was not linted: tokenlint does not fetch GitOps sources; lint that path or chart too"


def _lint(*args: str) -> tuple[int, str]:
    before = Path.cwd()
    os.chdir(TREES)
    try:
        done = CliRunner().invoke(app, ["lint", "--no-cache", "gitops", *args])
    finally:
        os.chdir(before)
    return done.exit_code, done.stdout


def test_text_names_every_source_not_linted_and_the_run_still_passes() -> None:
    code, out = _lint()
    assert code == 0
    assert out.splitlines() == [
        f"gitops/apps.yaml:8:3: note {APPLICATION}{NOT_LINTED}",
        f"gitops/apps.yaml:21:3: note {KUSTOMIZATION}{NOT_LINTED}",
        f"gitops/apps.yaml:33:3: note {HELM_RELEASE}{NOT_LINTED}",
        "",
        "0 findings in 3 resources from 1 file; 0 errors; 3 GitOps sources not linted",
    ]


def test_json_lists_them_as_notices() -> None:
    _, out = _lint("--format", "json")
    notices = json.loads(out)["notices"]
    assert [(n["path"], n["line"], n["message"]) for n in notices] == [
        ("gitops/apps.yaml", 8, APPLICATION + NOT_LINTED),
        ("gitops/apps.yaml", 21, KUSTOMIZATION + NOT_LINTED),
        ("gitops/apps.yaml", 33, HELM_RELEASE + NOT_LINTED),
    ]


def test_sarif_carries_them_as_note_notifications() -> None:
    _, out = _lint("--format", "sarif")
    log = json.loads(out)
    assert sarif_errors(log) == []
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["message"]["text"]) for n in notes] == [
        ("note", APPLICATION + NOT_LINTED),
        ("note", KUSTOMIZATION + NOT_LINTED),
        ("note", HELM_RELEASE + NOT_LINTED),
    ]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True
