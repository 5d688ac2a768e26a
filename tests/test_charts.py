"""Charts through the whole pipeline: discovery, rendering, template lines, scenarios."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.inputs.discover import discover
from tokenlint.inputs.helm.options import RenderOptions
from tokenlint.rulekit.registry import load_rules

CHARTS = Path(__file__).parent / "helm" / "charts"


@pytest.fixture(autouse=True)
def _in_tests_dir() -> Iterator[None]:
    """Paths in findings are relative to the working directory."""
    before = Path.cwd()
    os.chdir(Path(__file__).parent)
    yield
    os.chdir(before)


def run(*paths: str, select: tuple[str, ...] = (), **options: object) -> LintResult:
    rules = load_rules().select(select)
    return lint(discover(list(paths), RenderOptions(**options)), rules)  # type: ignore[arg-type]


def brief(result: LintResult) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(f.rule, f.location.path, f.location.line, f.scenarios) for f in result.findings]


def test_findings_land_on_template_lines_with_their_scenarios() -> None:
    result = run("helm/charts/webapp", select=("TL002", "TL003"))
    assert brief(result) == [
        ("TL003", "helm/charts/webapp/templates/role.yaml", 9, ("default", "ci/legacy-values.yaml")),
        ("TL002", "helm/charts/webapp/templates/secret.yaml", 8, ("ci/legacy-values.yaml",)),
    ]
    assert not result.errors


def test_a_template_file_stands_for_its_chart_rendered_once() -> None:
    result = run(
        "helm/charts/webapp/templates/role.yaml",
        "helm/charts/webapp/templates/deployment.yaml",
        "helm/charts/webapp/values.yaml",
        select=("TL003",),
    )
    assert brief(result) == [
        ("TL003", "helm/charts/webapp/templates/role.yaml", 9, ("default", "ci/legacy-values.yaml")),
    ]
    # one render per scenario, as when the chart folder itself is named
    assert result.files == run("helm/charts/webapp", select=("TL003",)).files


def test_set_values_change_the_render() -> None:
    result = run("helm/charts/webapp", select=("TL003",), set_values=("rbac.wildcard=false",))
    assert brief(result) == []


def test_release_namespace_applies_to_chart_resources() -> None:
    result = lint(
        discover(["helm/charts/webapp"], RenderOptions(namespace="shop")),
        load_rules().select(["TL003"]),
        LintOptions(namespace="shop"),
    )
    assert {f.resource.namespace for f in result.findings} == {"shop"}


def test_broken_chart_is_an_error_and_other_inputs_are_still_linted() -> None:
    result = run("helm/charts/broken", "helm/charts/webapp", select=("TL003",))
    assert [(e.path, e.line) for e in result.errors] == [("helm/charts/broken/templates/pod.yaml", 8)]
    assert "image tag is required" in result.errors[0].message
    assert [f.rule for f in result.findings] == ["TL003"]


def test_chart_folders_found_while_walking_are_rendered_not_parsed() -> None:
    result = run("helm/charts", select=("TL003",))
    paths = {f.location.path for f in result.findings}
    assert "helm/charts/webapp/templates/role.yaml" in paths
    assert not [e for e in result.errors if "looks like a Helm template" in e.message]


def test_configured_chart_values_are_scenarios_and_set_the_release_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import shutil

    from typer.testing import CliRunner

    from tokenlint.cli import app

    shutil.copytree(CHARTS / "webapp", tmp_path / "webapp", ignore=shutil.ignore_patterns("ci"))
    (tmp_path / "prod-values.yaml").write_text("rbac:\n  wildcard: false\n")
    (tmp_path / ".tokenlint.yaml").write_text(
        "charts:\n  webapp:\n    values: [prod-values.yaml]\n    namespace: shop\nexclude: [scratch]\n"
    )
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch" / "draft.yaml").write_text("{{ not yaml\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["lint", ".", "--select", "TL003", "--format", "json", "--no-cache"])
    report = json.loads(result.stdout)
    assert report["errors"] == []  # the excluded folder is never read
    assert [
        (f["location"]["path"], f["location"]["line"], f["resource"]["namespace"], f["scenario"])
        for f in report["findings"]
    ] == [("webapp/templates/role.yaml", 9, "shop", ["default"])]


def test_a_suppression_comment_written_in_a_template_applies(tmp_path: Path) -> None:
    import shutil

    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart, ignore=shutil.ignore_patterns("ci"))
    role = chart / "templates" / "role.yaml"
    role.write_text(
        role.read_text().replace(
            '    verbs: ["*"]', '    # tokenlint: ignore[TL003] the chart\'s own config store\n    verbs: ["*"]'
        )
    )
    result = run(str(chart), select=("TL003",))
    (finding,) = result.findings
    assert finding.location.line == 10
    assert finding.suppression is not None
    assert (finding.suppression.kind, finding.suppression.justification) == ("comment", "the chart's own config store")


def test_a_chart_without_ci_scenarios_keeps_its_cross_file_findings(tmp_path: Path) -> None:
    # Most public charts have no ci/ folder: their only scenario is the default values,
    # and findings name no scenario. The cross-file rules must still report on them.
    import shutil

    examples = Path(__file__).resolve().parents[1] / "examples" / "charts"
    shutil.copytree(examples / "storefront", tmp_path / "storefront", ignore=shutil.ignore_patterns("ci"))
    os.chdir(tmp_path)
    result = run("storefront")
    assert [(f.rule, f.location.path, f.location.line, f.resource.display(), f.scenarios) for f in result.findings] == [
        ("TL005", "storefront/templates/deployment.yaml", 16, "Deployment default/release-name-storefront", ()),
        ("TL001", "storefront/templates/deployment.yaml", 17, "Deployment default/release-name-storefront", ()),
        ("TL201", "storefront/templates/deployment.yaml", 17, "Deployment default/release-name-storefront", ()),
        ("TL101", "storefront/templates/rbac.yaml", 7, "Role default/release-name-storefront", ()),
    ]
    assert result.resources == 4
    assert not result.errors


def test_a_chart_without_scenarios_beside_plain_files_reports_each_finding_once(tmp_path: Path) -> None:
    # The plain Deployment is in the base bundle, which the chart's bundle is built on:
    # its finding comes from the base alone, the chart's from the chart's bundle.
    from manifests import API_DEPLOYMENT

    plain = tmp_path / "api.yaml"
    plain.write_text(API_DEPLOYMENT, encoding="utf-8")
    result = run("helm/charts/platform", str(plain), select=("TL001", "TL101"))
    assert [(f.rule, f.location.path, f.location.line) for f in result.findings] == [
        ("TL001", plain.as_posix(), 9),
        ("TL101", "helm/charts/platform/charts/worker-chart/templates/clusterrole.yaml", 7),
        ("TL001", "helm/charts/platform/charts/worker-chart/templates/daemonset.yaml", 14),
    ]


def test_a_separator_glued_by_whitespace_trimming_splits_documents_as_helm_does() -> None:
    # roles.yaml renders `---# Role reader: ...` before each Role: Helm installs two
    # Roles, where a YAML reading of the text sees one document with duplicate keys.
    # NOTES.txt and the empty documents of empty.yaml are not installed.
    result = run("helm/charts/glued")
    assert [
        (f.rule, f.location.path, f.location.line, f.location.column, f.resource.display()) for f in result.findings
    ] == [
        ("TL003", "helm/charts/glued/templates/roles.yaml", 13, 14, "Role default/reader"),
        ("TL003", "helm/charts/glued/templates/roles.yaml", 13, 14, "Role default/writer"),
    ]
    assert (result.resources, result.errors) == (2, [])


def test_a_failing_scenario_and_a_template_that_is_not_yaml_silence_nothing_else() -> None:
    # The default values lack the image that deployment.yaml requires; the ci/ scenario
    # sets it. settings.yaml renders text that is not YAML. Each is an error with its
    # file and line; everything else is linted, with its cross-file findings.
    result = run("helm/charts/partial")
    assert [(e.path, e.line, e.column, e.message) for e in result.errors] == [
        (
            "helm/charts/partial/templates/deployment.yaml",
            15,
            21,
            "execution error at (partial/templates/deployment.yaml:15:20): set image (values scenario default)",
        ),
        (
            "helm/charts/partial/templates/settings.yaml",
            6,
            3,
            "YAML syntax error: mapping values are not allowed in this context",
        ),
    ]
    scenario = ("ci/image-values.yaml",)
    assert [(f.rule, f.location.path, f.location.line, f.scenarios) for f in result.findings] == [
        ("TL005", "helm/charts/partial/templates/deployment.yaml", 11, scenario),
        ("TL001", "helm/charts/partial/templates/deployment.yaml", 12, scenario),
        ("TL201", "helm/charts/partial/templates/deployment.yaml", 12, scenario),
        ("TL101", "helm/charts/partial/templates/rbac.yaml", 6, scenario),
    ]
