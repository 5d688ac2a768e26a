"""Helm rendering: template paths, template lines, scenarios and input errors.

Every location assertion names the exact template line, so a locator that drifts by
one line (or reports rendered-output lines against the template path) fails here.
"""

from __future__ import annotations

import os
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tokenlint.inputs.helm.linemap import insert_markers
from tokenlint.inputs.helm.render import (
    ChartRender,
    RenderedTemplate,
    RenderOptions,
    find_chart_root,
    render_chart,
    renderer_name,
    scenarios,
)

HERE = Path(__file__).parent
CHARTS = HERE / "charts"


def rline(template: RenderedTemplate, needle: str, nth: int = 0) -> int:
    """1-based line of the nth rendered line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(template.text.decode().splitlines()) if needle in line]
    return hits[nth]


def by_name(render: ChartRender, suffix: str) -> RenderedTemplate:
    matches = [t for t in render.templates if t.template_path.endswith(suffix)]
    assert len(matches) == 1, [t.template_path for t in render.templates]
    return matches[0]


def render_one(chart: Path, options: RenderOptions | None = None, scenario: str = "default") -> ChartRender:
    renders, errors = render_chart(chart, options or RenderOptions())
    assert errors == []
    return next(r for r in renders if r.scenario == scenario)


# ----------------------------------------------------------------- discovery


def test_scenarios_follow_chart_testing_convention() -> None:
    assert scenarios(CHARTS / "webapp") == ["default", "ci/hardened-values.yaml", "ci/legacy-values.yaml"]
    assert scenarios(CHARTS / "strict") == ["default"]


def test_find_chart_root_maps_files_to_the_rendering_chart(tmp_path: Path) -> None:
    webapp = CHARTS / "webapp"
    assert find_chart_root(webapp / "templates" / "role.yaml") == webapp
    assert find_chart_root(webapp / "ci" / "hardened-values.yaml") == webapp
    assert find_chart_root(webapp) == webapp
    # A subchart's file is rendered by its parent, never alone.
    worker = CHARTS / "platform" / "charts" / "worker-chart" / "templates" / "daemonset.yaml"
    assert find_chart_root(worker) == CHARTS / "platform"
    loose = tmp_path / "deploy.yaml"
    loose.write_text("kind: Pod\n", encoding="utf-8")
    assert find_chart_root(loose) is None


def test_default_renderer_is_the_sdk() -> None:
    assert renderer_name(RenderOptions()) == "sdk"
    assert renderer_name(RenderOptions(helm_binary=Path("/usr/bin/helm"))) == "binary"


# ----------------------------------------------------------------- locations


def test_keys_written_in_the_template_get_their_template_line() -> None:
    render = render_one(CHARTS / "webapp")
    role = by_name(render, "webapp/templates/role.yaml")
    assert role.template_path == (CHARTS / "webapp" / "templates" / "role.yaml").as_posix()
    assert role.method == "markers"
    assert role.locate(rline(role, 'verbs: ["*"]'), ("rules", 0, "verbs")) == (9, None)
    assert role.locate(rline(role, "kind: Role"), ()) == (2, None)
    # Second document of the same template.
    assert role.locate(rline(role, "kind: RoleBinding"), ()) == (15, None)
    assert role.locate(rline(role, "- kind: ServiceAccount"), ("subjects", 0)) == (23, None)

    sa = by_name(render, "templates/serviceaccount.yaml")
    assert sa.locate(rline(sa, "automountServiceAccountToken"), ("automountServiceAccountToken",)) == (8, None)
    dep = by_name(render, "templates/deployment.yaml")
    path = ("spec", "template", "spec", "serviceAccountName")
    assert dep.locate(rline(dep, "serviceAccountName"), path) == (21, None)


def test_keys_from_named_templates_point_at_the_line_that_writes_their_block_with_a_note() -> None:
    # serviceaccount.yaml line 6 is `labels:`, followed by the include of the labels.
    sa = by_name(render_one(CHARTS / "webapp"), "templates/serviceaccount.yaml")
    line, note = sa.locate(rline(sa, "app.kubernetes.io/name"), ("metadata", "labels", "app.kubernetes.io/name"))
    assert line == 6
    assert note == (
        "exact line of app.kubernetes.io/name not found in template; showing the line that writes the block holding it"
    )
    # The selector's labels come from the include under `matchLabels:` (line 10).
    dep = by_name(render_one(CHARTS / "webapp"), "templates/deployment.yaml")
    path = ("spec", "selector", "matchLabels", "app.kubernetes.io/name")
    assert dep.locate(rline(dep, "app.kubernetes.io/name", 1), path)[0] == 10


def test_the_block_holding_a_key_may_be_a_list_under_its_key_at_the_same_indentation() -> None:
    from tokenlint.inputs.helm.linemap import NOTE_ENCLOSING, Locator

    rendered = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: b\n"
    # Rendered lines 2 and 3 have markers (template lines 10 and 11); the item does not.
    locator = Locator(rendered, None, {2: 10, 3: 11})
    path = ("spec", "containers", 0, "image")
    assert locator.locate(5, path) == (11, NOTE_ENCLOSING.format(key="image"))


def test_rendered_text_carries_no_markers() -> None:
    for template in render_one(CHARTS / "webapp").templates:
        assert b"#tl@" not in template.text
        assert b"# Source:" not in template.text


def test_nearest_gives_the_closest_template_line_above() -> None:
    dep = by_name(render_one(CHARTS / "webapp"), "templates/deployment.yaml")
    # An included label line is not in the template; the nearest marked line is "labels:".
    assert dep.nearest(rline(dep, "app.kubernetes.io/name", 0)) == (5, "nearest template line known before it")


# ----------------------------------------------------------------- scenarios


def test_each_ci_scenario_is_rendered_with_its_values() -> None:
    renders, errors = render_chart(CHARTS / "webapp", RenderOptions())
    assert errors == []
    assert [r.scenario for r in renders] == ["default", "ci/hardened-values.yaml", "ci/legacy-values.yaml"]
    default, hardened, legacy = renders
    assert not any(t.template_path.endswith("secret.yaml") for t in default.templates)
    secret = by_name(legacy, "templates/secret.yaml")
    assert secret.locate(rline(secret, "type:"), ("type",)) == (8, None)
    role = by_name(hardened, "templates/role.yaml")
    # The else branch of the template is what rendered in this scenario.
    assert role.locate(rline(role, "verbs:"), ("rules", 0, "verbs")) == (11, None)
    sa = by_name(hardened, "templates/serviceaccount.yaml")
    assert b"automountServiceAccountToken: false" in sa.text


def test_options_reach_helm(tmp_path: Path) -> None:
    chart = tmp_path / "opts"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: opts\nversion: 1.0.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("a: chart\nb: chart\nc: chart\nlist: [x, y]\n", encoding="utf-8")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "data:\n  ns: {{ .Release.Namespace }}\n  kube: {{ .Capabilities.KubeVersion.Version }}\n"
        '  a: {{ .Values.a }}\n  b: {{ .Values.b }}\n  c: {{ .Values.c }}\n  list: {{ join "," .Values.list }}\n',
        encoding="utf-8",
    )
    first = tmp_path / "first.yaml"
    first.write_text("a: first\nb: first\nlist: [p, q, r]\n", encoding="utf-8")
    second = tmp_path / "second.yaml"
    second.write_text("b: second\n", encoding="utf-8")
    text = render_one(chart).templates[0].text.decode()
    assert "name: release-name" in text
    assert "ns: default" in text
    options = RenderOptions(
        values=(first, second),
        set_values=("c=from-set", "list[1]=z"),
        release_name="prod",
        namespace="acme",
        kube_version="1.28.3",
    )
    text = render_one(chart, options).templates[0].text.decode()
    # --set list[1]=z edits the list from the values files, as Helm's strvals.ParseInto does.
    for expected in ("name: prod", "ns: acme", "kube: v1.28.3", "a: first", "b: second", "c: from-set", "list: p,z,r"):
        assert expected in text


# ----------------------------------------------------------------- subcharts and libraries


def test_subchart_templates_map_to_their_directory() -> None:
    render = render_one(CHARTS / "platform")
    paths = sorted(t.template_path.split("charts/platform/", 1)[1] for t in render.templates)
    assert paths == [
        "charts/worker-chart/templates/clusterrole.yaml",
        "charts/worker-chart/templates/daemonset.yaml",
        "templates/configmap.yaml",
    ]
    ds = by_name(render, "worker-chart/templates/daemonset.yaml")
    assert ds.locate(
        rline(ds, "automountServiceAccountToken"), ("spec", "template", "spec", "automountServiceAccountToken")
    ) == (14, None)
    assert ds.locate(rline(ds, "hostNetwork"), ("spec", "template", "spec", "hostNetwork")) == (15, None)
    role = by_name(render, "worker-chart/templates/clusterrole.yaml")
    assert role.locate(rline(role, "- list"), ("rules", 0, "verbs", 1)) == (12, None)


def test_subchart_follows_its_condition() -> None:
    render = render_one(CHARTS / "platform", RenderOptions(set_values=("worker.enabled=false",)))
    assert [t.template_path.rsplit("/", 2)[-2:] for t in render.templates] == [["templates", "configmap.yaml"]]


def test_library_chart_resources_point_at_the_include() -> None:
    render = render_one(CHARTS / "uses-library")
    role = by_name(render, "uses-library/templates/role.yaml")
    assert role.locate(rline(role, "verbs"), ("rules", 0, "verbs")) == (
        2,
        "resource produced by a named template; showing the line that includes it",
    )
    sa = by_name(render, "uses-library/templates/serviceaccount.yaml")
    assert sa.locate(rline(sa, "automount"), ("automountServiceAccountToken",)) == (4, None)
    assert sa.locate(rline(sa, "kind:"), ()) == (2, None)
    # Library templates never render on their own.
    assert not any("charts/common" in t.template_path for t in render.templates)


# ----------------------------------------------------------------- input errors


def test_template_error_names_template_and_line() -> None:
    renders, errors = render_chart(CHARTS / "broken", RenderOptions())
    assert renders == []
    [error] = errors
    assert error.path == (CHARTS / "broken" / "templates" / "pod.yaml").as_posix()
    assert error.line == 8
    assert "image tag is required: set tag" in error.message


def test_schema_failure_points_at_the_values_file() -> None:
    values = HERE / "values" / "zero-replicas.yaml"
    renders, errors = render_chart(CHARTS / "strict", RenderOptions(values=(values,)))
    assert renders == []
    [error] = errors
    assert (error.path, error.line) == (values.as_posix(), 4)
    assert "/replicas" in error.message
    assert "minimum" in error.message


def test_schema_passes_with_the_defaults() -> None:
    render = render_one(CHARTS / "strict")
    assert [t.template_path.rsplit("/", 1)[-1] for t in render.templates] == ["serviceaccount.yaml"]


def test_missing_dependency_is_an_input_error() -> None:
    renders, errors = render_chart(CHARTS / "missing-dep", RenderOptions())
    assert renders == []
    [error] = errors
    assert error.path == (CHARTS / "missing-dep" / "Chart.yaml").as_posix()
    assert error.line == 6
    assert "missing in charts/ directory: redis" in error.message


def test_a_failing_scenario_does_not_hide_the_others(tmp_path: Path) -> None:
    chart = tmp_path / "partly"
    (chart / "templates").mkdir(parents=True)
    (chart / "ci").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: partly\nversion: 1.0.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("name: ok\n", encoding="utf-8")
    (chart / "ci" / "empty-values.yaml").write_text("name: null\n", encoding="utf-8")
    (chart / "templates" / "sa.yaml").write_text(
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ required "name!" .Values.name }}\n',
        encoding="utf-8",
    )
    renders, errors = render_chart(chart, RenderOptions())
    assert [r.scenario for r in renders] == ["default"]
    [error] = errors
    assert (error.scenario, error.line) == ("ci/empty-values.yaml", 4)
    assert error.path.endswith("partly/templates/sa.yaml")


# ----------------------------------------------------------------- packaged charts


def test_packaged_chart(tmp_path: Path) -> None:
    tgz = tmp_path / "webapp-0.1.0.tgz"
    with tarfile.open(tgz, "w:gz") as archive:
        archive.add(CHARTS / "webapp", arcname="webapp")
    assert scenarios(tgz) == ["default", "ci/hardened-values.yaml", "ci/legacy-values.yaml"]
    assert find_chart_root(tgz) == tgz
    renders, errors = render_chart(tgz, RenderOptions())
    assert errors == []
    assert len(renders) == 3
    role = by_name(renders[0], "role.yaml")
    assert role.template_path == f"{tgz.as_posix()}/webapp/templates/role.yaml"
    assert role.locate(rline(role, "verbs"), ("rules", 0, "verbs")) == (9, None)


def test_packaged_subchart(tmp_path: Path) -> None:
    import shutil

    chart = tmp_path / "platform"
    shutil.copytree(CHARTS / "platform", chart)
    sub = chart / "charts" / "worker-chart"
    with tarfile.open(chart / "charts" / "worker-0.2.0.tgz", "w:gz") as archive:
        archive.add(sub, arcname="worker")
    shutil.rmtree(sub)
    ds = by_name(render_one(chart), "daemonset.yaml")
    assert ds.template_path == f"{chart.as_posix()}/charts/worker-0.2.0.tgz/worker/templates/daemonset.yaml"
    assert ds.locate(rline(ds, "hostNetwork"), ("spec", "template", "spec", "hostNetwork")) == (15, None)


# ----------------------------------------------------------------- the helm binary path


def test_binary_given_explicitly(helm_on_path: Path) -> None:
    renders, errors = render_chart(CHARTS / "webapp", RenderOptions(helm_binary=helm_on_path, release_name="rel"))
    assert errors == []
    assert [r.scenario for r in renders] == ["default", "ci/hardened-values.yaml", "ci/legacy-values.yaml"]
    role = by_name(renders[0], "templates/role.yaml")
    assert role.method == "markers"
    assert b"name: rel-webapp" in role.text
    assert role.locate(rline(role, 'verbs: ["*"]'), ("rules", 0, "verbs")) == (9, None)
    assert role.locate(rline(role, "kind: RoleBinding"), ()) == (15, None)
    ds = by_name(render_one(CHARTS / "platform", RenderOptions(helm_binary=helm_on_path)), "daemonset.yaml")
    assert ds.locate(rline(ds, "hostNetwork"), ("spec", "template", "spec", "hostNetwork")) == (15, None)


def test_binary_on_path_when_the_sdk_is_missing(helm_on_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "helm_python", None)  # import now raises ImportError
    assert renderer_name(RenderOptions()) == "binary"
    sa = by_name(render_one(CHARTS / "webapp"), "templates/serviceaccount.yaml")
    assert sa.locate(rline(sa, "automount"), ("automountServiceAccountToken",)) == (8, None)


def test_binary_errors_keep_file_and_line(helm_on_path: Path) -> None:
    _, errors = render_chart(CHARTS / "broken", RenderOptions(helm_binary=helm_on_path))
    [error] = errors
    assert (error.path.rsplit("/", 1)[-1], error.line) == ("pod.yaml", 8)
    assert not error.message.startswith("Error:")


def test_no_renderer_is_an_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "helm_python", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    renders, errors = render_chart(CHARTS / "webapp", RenderOptions())
    assert renders == []
    assert "helm-python-sdk" in errors[0].message


# ----------------------------------------------------------------- marker robustness


def write_chart(root: Path, templates: dict[str, str]) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {root.name}\nversion: 1.0.0\n", encoding="utf-8")
    for name, text in templates.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


def test_markers_that_would_change_the_render_are_not_used(tmp_path: Path) -> None:
    # "-}}" eats the newline and indentation before "namespace:", so Helm's output has it
    # at column 0; a marker line there would shift it. The render must stay Helm's.
    chart = write_chart(
        tmp_path / "trim",
        {
            "sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n"
            "{{ if true -}}\n  automountServiceAccountToken: true\n{{- end }}\n"
        },
    )
    sa = render_one(chart).templates[0]
    assert sa.method == "search"
    assert b"\nautomountServiceAccountToken: true" in sa.text
    assert sa.locate(rline(sa, "automount"), ("automountServiceAccountToken",)) == (6, None)
    assert sa.locate(rline(sa, "kind:"), ()) == (2, None)


def test_checksum_of_an_included_template_keeps_markers(tmp_path: Path) -> None:
    chart = write_chart(
        tmp_path / "checksum",
        {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n",
            "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
            '    checksum/config: {{ include (print $.Template.BasePath "/cm.yaml") . | sha256sum }}\n'
            "spec:\n  automountServiceAccountToken: true\n",
        },
    )
    pod = by_name(render_one(chart), "pod.yaml")
    assert pod.method == "markers"
    assert pod.locate(rline(pod, "automount"), ("spec", "automountServiceAccountToken")) == (8, None)


def test_template_text_included_from_another_file_is_not_attributed_to_it(tmp_path: Path) -> None:
    chart = write_chart(
        tmp_path / "embed",
        {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
            "list.yaml": "apiVersion: v1\nkind: List\nitems:\n"
            '  - {{- include (print $.Template.BasePath "/cm.yaml") . | nindent 4 }}\n',
        },
    )
    lst = by_name(render_one(chart), "list.yaml")
    assert lst.method == "markers"
    # "name: cfg" comes from cm.yaml line 4; in list.yaml it is not literal: the line
    # that includes it is list.yaml's line 4.
    line, note = lst.locate(rline(lst, "name: cfg"), ("items", 0, "metadata", "name"))
    assert (line, note is not None) == (4, True)


def test_no_marker_inside_actions_or_defines() -> None:
    source = (
        "{{- $raw := `\nkey: value\n` }}\n"
        "{{/*\nnote: a comment\n*/}}\n"
        '{{- define "local" }}\ninner: 1\n{{- if .x }}\nnested: 2\n{{- end }}\n{{- end }}\n'
        'kind: ConfigMap\ndata: {{ dict\n  "a" 1 | toJson }}\n'
    )
    marked = insert_markers(source, 7)
    assert [line for line in marked.splitlines() if line.startswith("#tl@")] == ["#tl@7:13", "#tl@7:14"]


def test_thirty_templates_render_with_markers(tmp_path: Path) -> None:
    templates = {
        f"t{i:02d}.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-"
            f"{i}\n  labels:\n    app: a{i}\nspec:\n  template:\n    spec:\n"
            "      automountServiceAccountToken: {{ .Values.automount }}\n      containers:\n"
            "        - name: c\n          image: busybox\n"
        )
        for i in range(30)
    }
    chart = write_chart(tmp_path / "thirty", templates)
    (chart / "values.yaml").write_text("automount: true\n", encoding="utf-8")
    render = render_one(chart)  # its time is measured by benchmarks/bench.py, not here
    assert len(render.templates) == 30
    for template in render.templates:
        assert template.method == "markers"
        assert template.locate(
            rline(template, "automount"), ("spec", "template", "spec", "automountServiceAccountToken")
        ) == (10, None)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.symlink_to("/dev/zero"), "templates/zero.yaml: not a regular file: a character device"),
        (os.mkfifo, "templates/zero.yaml: not a regular file: a named pipe (FIFO)"),
    ],
)
def test_a_special_file_in_a_chart_is_an_error_before_helm_reads_it(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    chart = write_chart(tmp_path / "shop", {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    make(chart / "templates" / "zero.yaml")
    renders, errors = render_chart(chart, RenderOptions())
    assert renders == []
    assert [(e.path, e.line, e.message) for e in errors] == [(chart.as_posix(), None, f"cannot read chart: {message}")]
