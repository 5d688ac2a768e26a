"""Kustomize trees through the whole pipeline: roots, bundles, overlays, locations, errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.engine.scope import ChangeScope
from tokenlint.inputs.discover import discover
from tokenlint.inputs.kustomize.render import Kustomize, RenderFailed, render
from tokenlint.rulekit.registry import load_rules


def run(*paths: str, select: tuple[str, ...] = ()) -> LintResult:
    return lint(discover(list(paths)), load_rules().select(select))


def brief(result: LintResult) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(f.rule, f.location.path, f.location.line, f.scenarios) for f in result.findings]


def errors(result: LintResult) -> list[tuple[str, int | None, str]]:
    return [(e.path, e.line, e.message) for e in result.errors]


PROD = ("shop/overlays/prod",)
HARDENED = ("shop/overlays/hardened",)


def test_each_overlay_is_its_own_bundle_located_in_base_and_patch(in_trees: Path) -> None:
    result = run("shop")
    assert brief(result) == [
        # the pod spec of the base: no NetworkPolicy in prod; the hardened overlay's component has one
        ("TL005", "shop/base/deployment.yaml", 17, PROD),
        # the Role is in both overlays, renamed and in two namespaces: two objects
        ("TL101", "shop/base/rbac.yaml", 6, HARDENED),
        ("TL101", "shop/base/rbac.yaml", 6, PROD),
        # the patch turns the token on: the chain starts on the patch's line
        ("TL201", "shop/overlays/prod/automount.yaml", 8, PROD),
    ]
    assert not result.errors
    tl201 = result.findings[-1]
    # namespace: and namePrefix: renamed the binding's subject with its ServiceAccount
    assert tl201.resource.display() == "Deployment shop-prod/prod-api"
    assert [(r.location.path, r.location.line) for r in tl201.related] == [
        ("shop/overlays/prod/automount.yaml", 8),
        ("shop/base/deployment.yaml", 4),
        ("shop/base/rbac.yaml", 19),
        ("shop/base/rbac.yaml", 4),
        ("shop/base/rbac.yaml", 6),
    ]
    assert "ServiceAccount shop-prod/prod-api" in tl201.message


def test_consumed_files_are_never_linted_on_their_own(in_trees: Path) -> None:
    """The patch alone would be a Deployment on the default account; the base would be in
    namespace default: neither is a finding of its own."""
    result = run("shop")
    assert all(f.scenarios for f in result.findings)
    assert {f.resource.namespace for f in result.findings} == {"shop-prod", "shop-hardened"}


def test_a_base_named_alone_is_a_root(in_trees: Path) -> None:
    result = run("shop/base", select=("TL001",))
    assert brief(result) == []  # its ServiceAccount turns the token off
    assert not result.errors


def test_a_patch_file_named_alone_stands_for_its_kustomization(in_trees: Path) -> None:
    result = run("shop/overlays/prod/automount.yaml", select=("TL201",))
    assert brief(result) == [("TL201", "shop/overlays/prod/automount.yaml", 8, PROD)]


def test_inline_and_json6902_patches_point_into_the_kustomization(in_trees: Path) -> None:
    result = run("patched", select=("TL003", "TL201"))
    assert brief(result) == [
        ("TL003", "patched/kustomization.yaml", 11, ("patched",)),
        ("TL201", "patched/kustomization.yaml", 20, ("patched",)),
    ]
    tl003, tl201 = result.findings
    assert (tl003.location.column, tl201.location.column) == (17, 13)
    assert tl201.location.note is None


def test_a_broken_kustomization_is_an_error_and_the_file_beside_it_is_linted(in_trees: Path) -> None:
    result = run("broken")
    assert brief(result) == [("TL003", "broken/good.yaml", 8, ())]
    ((path, line, message),) = errors(result)
    assert (path, line) == ("broken/app/kustomization.yaml", None)
    assert message.startswith("kustomize: no resource matches strategic merge patch")
    assert "Deployment.v1.apps/nothing" in message


def test_remote_bases_are_refused_before_kustomize_runs(in_trees: Path) -> None:
    result = run("remote")
    assert result.files == 0
    assert errors(result) == [
        (
            "remote/kustomization.yaml",
            3,
            "remote resource 'https://github.com/example/platform//deploy/base?ref=v1.2.0' is not fetched:"
            " tokenlint never reaches the network; vendor it into the repository or lint its rendered output",
        ),
        (
            "remote/kustomization.yaml",
            5,
            "remote component 'github.com/example/components/egress' is not fetched:"
            " tokenlint never reaches the network; vendor it into the repository or lint its rendered output",
        ),
    ]


def test_plugins_and_helm_chart_inflation_are_refused(in_trees: Path) -> None:
    result = run("plugins")
    assert [(p, line) for p, line, _ in errors(result)] == [
        ("plugins/exec/kustomization.yaml", 4),
        ("plugins/helm/kustomization.yaml", 1),
    ]
    exec_error, helm_error = (m for _, _, m in errors(result))
    assert "runs a program; tokenlint never runs plugins" in exec_error
    assert helm_error.startswith("helmCharts: kustomize would download the chart and run helm")


def test_kustomize_itself_runs_no_plugin(kustomize: Kustomize, tmp_path: Path) -> None:
    """Past tokenlint's own refusal, kustomize still refuses: alpha plugins are off."""
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\ntransformers: [plugin.yaml]\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    marker = tmp_path / "ran"
    (tmp_path / "plugin.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Touch\nmetadata:\n  name: t\n  annotations:\n"
        f"    config.kubernetes.io/function: |\n      exec:\n        path: /usr/bin/touch {marker}\n"
    )
    with pytest.raises(RenderFailed) as refused:
        render(kustomize, tmp_path)
    assert str(refused.value) == "external plugins disabled; unable to load external plugin 'Touch'"
    assert not marker.exists()


def test_no_kustomize_is_an_error_that_says_how_to_install_one(
    in_trees: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("shop", "broken/good.yaml", select=("TL001", "TL003"))
    assert brief(result) == [("TL003", "broken/good.yaml", 8, ())]  # never a fallback to the raw files
    assert [(p, line) for p, line, _ in errors(result)] == [
        ("shop/overlays/hardened/kustomization.yaml", None),
        ("shop/overlays/prod/kustomization.yaml", None),
    ]
    assert all("install kubectl" in m and "--kustomize PATH" in m for _, _, m in errors(result))


def test_rules_see_exactly_what_kustomize_builds(kustomize: Kustomize, in_trees: Path) -> None:
    """The build annotations tokenlint asks for are cut out again, line for line."""
    plain = subprocess.run([*kustomize.argv, "shop/overlays/prod"], capture_output=True, text=True, check=True).stdout
    assert "---\n".join(r.text for r in render(kustomize, Path("shop/overlays/prod"))) == plain


def test_the_tree_is_never_written(kustomize: Kustomize, in_trees: Path) -> None:
    before = {p: p.read_bytes() for p in Path("shop").rglob("*") if p.is_file()}
    run("shop")
    assert {p: p.read_bytes() for p in Path("shop").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        # the patch: the overlay is judged again and its chain reported
        ("shop/overlays/prod/automount.yaml", [("TL201", "shop/overlays/prod/automount.yaml", 8, PROD)]),
        # the shared base: every overlay including it
        (
            "shop/base/rbac.yaml",
            [
                ("TL101", "shop/base/rbac.yaml", 6, HARDENED),
                ("TL101", "shop/base/rbac.yaml", 6, PROD),
                ("TL201", "shop/overlays/prod/automount.yaml", 8, PROD),
            ],
        ),
    ],
)
def test_a_changed_base_or_patch_relints_every_overlay_including_it(
    in_trees: Path, changed: str, expected: list[tuple[str, str, int, tuple[str, ...]]]
) -> None:
    scope = ChangeScope.of([changed])
    options = LintOptions(changed=scope.touches)
    assert brief(scope.restrict(lint(discover(["shop"]), load_rules(), options))) == expected
