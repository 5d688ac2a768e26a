"""``tokenlint fix``: exact edits, nothing else touched, and lint agreeing afterwards."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from helpers import sarif_errors, write
from typer.testing import CliRunner, Result

from tokenlint.cli import app
from tokenlint.k8s.netpol import egress_policy
from tokenlint.model import ResourceRef
from tokenlint.yaml.reader import iter_stream

CASES = Path(__file__).parent / "cases"
EXAMPLES = Path(__file__).parents[2] / "examples"
FIXED = [("account", "TL001"), ("pod-spec", "TL001"), ("expiry", "TL006"), ("policy", "TL005")]


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOKENLINT_CACHE_DIR", str(tmp_path / "cache"))


def run(folder: Path, *args: str) -> Result:
    """``tokenlint ARGS`` run from ``folder``."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def lint_json(folder: Path, *paths: str) -> list[dict[str, object]]:
    result = run(folder, "lint", "--format", "json", *(paths or (".",)))
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


def copy(tmp_path: Path, source: Path) -> Path:
    folder = tmp_path / "work"
    shutil.copytree(source, folder)
    return folder


@pytest.mark.parametrize(("name", "rule"), FIXED)
def test_fix_result_is_byte_for_byte_and_lint_clean(tmp_path: Path, name: str, rule: str) -> None:
    folder = copy(tmp_path, CASES / name / "before")
    before = lint_json(folder)
    assert [f for f in before if f["rule"] == rule], "the case must have findings of the rule it fixes"

    result = run(folder, "fix", "--select", rule, ".")

    assert result.exit_code == 0, result.output
    assert tree(folder) == tree(CASES / name / "after")
    after = lint_json(folder)
    assert [f for f in after if f["rule"] == rule] == []
    known = {f["fingerprint"] for f in before}
    assert [f for f in after if f["fingerprint"] not in known] == [], "fix must not bring new findings"
    again = run(folder, "fix", "--select", rule, ".")
    assert again.exit_code == 0
    assert again.stdout.endswith("\n0 findings fixed in 0 files; 0 not changed automatically\n")
    assert tree(folder) == tree(CASES / name / "after")


def test_fix_reports_each_outcome(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "account" / "before")

    result = run(folder, "fix", "--select", "TL001", ".")

    assert result.stdout == (
        "app.yaml:22:7: TL001 Deployment shop/web: fixed: set automountServiceAccountToken: false"
        " on ServiceAccount shop/web\n"
        "app.yaml:35:7: TL001 Job shop/warm-cache: fixed: set automountServiceAccountToken: false"
        " on ServiceAccount shop/web\n"
        "\n2 findings fixed in 1 file; 0 not changed automatically\n"
    )


def test_diff_prints_the_edit_and_writes_nothing(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "expiry" / "before")

    result = run(folder, "fix", "--diff", "--select", "TL006", ".")

    assert result.exit_code == 0
    assert result.stdout == (
        "--- a/reports.yaml\n"
        "+++ b/reports.yaml\n"
        "@@ -16,5 +16,5 @@\n"
        "         sources:\n"
        "           - serviceAccountToken:\n"
        "               audience: vault\n"
        "-              expirationSeconds: 604800   # one week: the vault agent was slow to renew\n"
        "+              expirationSeconds: 86400   # one week: the vault agent was slow to renew\n"
        "               path: token\n"
    )
    assert tree(folder) == tree(CASES / "expiry" / "before")


def test_check_exits_1_until_fixed(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "pod-spec" / "before")

    pending = run(folder, "fix", "--check", ".")
    assert pending.exit_code == 1
    assert "TL001 Deployment jobs/worker: to fix: set automountServiceAccountToken: false in the pod spec" in (
        pending.stdout
    )
    assert tree(folder) == tree(CASES / "pod-spec" / "before")

    assert run(folder, "fix", ".").exit_code == 0
    assert run(folder, "fix", "--check", ".").exit_code == 0


def test_config_limit_is_the_target_of_the_expiry_fix(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "expiry" / "before")
    write(folder, ".tokenlint.yaml", "rules:\n  TL006:\n    max-expiration-seconds: 3600\n")

    assert run(folder, "fix", "--select", "TL006", ".").exit_code == 0

    assert "expirationSeconds: 3600   # one week" in (folder / "reports.yaml").read_text()


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: shop
spec:
  containers:
    - name: app
      image: app:1
"""

TOKEN_THAT_READS_SECRETS = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: reader
  namespace: shop
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: read-secrets
  namespace: shop
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
  namespace: shop
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-secrets}
subjects:
  - kind: ServiceAccount
    name: reader
    namespace: shop
"""


def test_a_token_that_reaches_capabilities_is_not_touched(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    write(folder, "rbac.yaml", TOKEN_THAT_READS_SECRETS)
    write(folder, "pod.yaml", POD.replace("spec:\n", "spec:\n  serviceAccountName: reader\n"))
    before = tree(folder)

    result = run(folder, "fix", "--select", "TL001", ".")

    assert result.exit_code == 0
    assert (
        "pod.yaml:7:3: TL001 Pod shop/app: needs a person: not changed: the token reaches 1 capability (TL101),"
        " and the workload may need it\n"
    ) in result.stdout
    assert tree(folder) == before


def test_an_explicit_mount_is_left_to_its_author(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    write(folder, "pod.yaml", POD.replace("spec:\n", "spec:\n  automountServiceAccountToken: true\n"))
    before = tree(folder)

    result = run(folder, "fix", "--select", "TL001", ".")

    assert "needs a person: not changed: the pod spec sets automountServiceAccountToken: true on purpose" in (
        result.stdout
    )
    assert tree(folder) == before


def test_an_account_with_a_pod_that_wants_the_token_is_fixed_per_pod(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    account = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n"
    write(folder, "sa.yaml", account)
    named = POD.replace("spec:\n", "spec:\n  serviceAccountName: app\n")
    write(folder, "a.yaml", named)
    wants = named.replace("name: app\n  namespace", "name: wants\n  namespace").replace(
        "spec:\n", "spec:\n  automountServiceAccountToken: true\n"
    )
    write(folder, "b.yaml", wants)

    run(folder, "fix", "--select", "TL001", ".")

    assert (folder / "sa.yaml").read_text() == account
    assert (folder / "a.yaml").read_text() == named + "  automountServiceAccountToken: false\n"
    assert (folder / "b.yaml").read_text() == wants


EXISTING_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-all-egress
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - {}
"""


def test_no_policy_is_added_where_one_already_isolates_pods(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    write(folder, "pod.yaml", POD.replace("spec:\n", "spec:\n  automountServiceAccountToken: false\n"))
    write(folder, "netpol.yaml", EXISTING_EGRESS)
    before = tree(folder)

    result = run(folder, "fix", "--select", "TL005", ".")

    assert (
        "needs a person: not changed: add an except for the endpoint to the egress rules of"
        " NetworkPolicy shop/allow-all-egress\n"
    ) in result.stdout
    assert tree(folder) == before


def test_written_policy_is_valid_and_closes_the_endpoint(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "policy" / "before")

    run(folder, "fix", "--policy-dir", "policies", ".")

    written = folder / "policies" / "deny-metadata-egress-payments.yaml"
    (document,) = [d.data for d in iter_stream(written.read_bytes())]
    schema = json.loads((Path(__file__).parent / "networkpolicy.schema.json").read_text())
    jsonschema.validate(document, schema)
    ref = ResourceRef("networking.k8s.io/v1", "NetworkPolicy", "payments", "deny-metadata-egress")
    assert egress_policy(ref, document).problems == ()
    assert [f["rule"] for f in lint_json(folder)] == []


@pytest.mark.parametrize(
    ("pod", "reason"),
    [
        (
            POD + "  containers:\n    - name: again\n      image: app:2\n",
            "the file cannot be edited safely: while constructing a mapping",
        ),
        (POD.replace("spec:\n", "spec: &spec\n"), "spec carries the anchor &spec, so other places share it"),
        (
            POD.replace("spec:\n  containers:\n    - name: app\n      image: app:1\n", "spec: {containers: []}\n"),
            "the field's mapping is written in flow style ({...}); edit it by hand",
        ),
        (POD.replace("spec:\n", "spec:\n  <<: {restartPolicy: Always}\n"), "spec takes keys through a merge key (<<)"),
    ],
    ids=["duplicate-keys", "anchor", "flow-style", "merge-key"],
)
def test_unsafe_files_are_left_alone(tmp_path: Path, pod: str, reason: str) -> None:
    folder = tmp_path / "work"
    write(folder, "pod.yaml", pod)
    before = tree(folder)

    result = run(folder, "fix", "--select", "TL001", ".")

    assert f"\npod.yaml: left alone: {reason}\n" in result.stdout
    assert result.exit_code == 1
    assert tree(folder) == before


def test_acme_shop_loses_every_finding_that_has_a_safe_fix(tmp_path: Path) -> None:
    folder = copy(tmp_path, EXAMPLES / "acme-shop")
    before = lint_json(folder)

    result = run(folder, "fix", ".")

    assert result.exit_code == 0, result.output
    after = lint_json(folder)
    assert sorted({str(f["rule"]) for f in before} - {str(f["rule"]) for f in after}) == ["TL005", "TL006"]
    known = {f["fingerprint"] for f in before}
    assert [f for f in after if f["fingerprint"] not in known] == []


def test_sarif_carries_the_same_edits_as_suggested_fixes(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "account" / "before")

    result = run(folder, "lint", "--format", "sarif", "--select", "TL001", ".")

    log = json.loads(result.stdout)
    assert sarif_errors(log) == []
    fixes = [r["fixes"] for r in log["runs"][0]["results"]]
    replacement = {
        "deletedRegion": {"startLine": 8, "startColumn": 1, "endLine": 8, "endColumn": 39},
        "insertedContent": {"text": "    app: web   # owned by the web team\nautomountServiceAccountToken: false"},
    }
    expected = {
        "description": {"text": "set automountServiceAccountToken: false on ServiceAccount shop/web"},
        "artifactChanges": [
            {"artifactLocation": {"uri": "app.yaml", "uriBaseId": "%SRCROOT%"}, "replacements": [replacement]}
        ],
    }
    assert fixes == [[expected], [expected]]


def test_two_fixes_that_meet_on_one_line_are_both_made(tmp_path: Path) -> None:
    folder = copy(tmp_path, CASES / "expiry" / "before")
    pod = folder / "reports.yaml"
    text = pod.read_text().replace("  automountServiceAccountToken: false\n", "")
    # expirationSeconds last: the pod spec's new key goes right after the line TL006 changes.
    week = "              expirationSeconds: 604800   # one week: the vault agent was slow to renew\n"
    pod.write_text(text.replace(week, "").replace("              path: token\n", "              path: token\n" + week))

    result = run(folder, "fix", "--select", "TL001,TL006", ".")

    assert result.exit_code == 0, result.output
    assert pod.read_text().endswith(
        "              path: token\n"
        "              expirationSeconds: 86400   # one week: the vault agent was slow to renew\n"
        "  automountServiceAccountToken: false\n"
    )
    assert [f["rule"] for f in lint_json(folder) if f["rule"] in ("TL001", "TL006")] == []


CHART_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def test_helm_charts_are_never_edited(tmp_path: Path) -> None:
    chart = tmp_path / "web"
    write(chart, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
    write(chart / "templates", "deployment.yaml", CHART_DEPLOYMENT)
    before = tree(chart)

    result = run(chart, "fix", ".")

    assert tree(chart) == before
    assert (
        "templates/deployment.yaml:11:5: TL001 Deployment default/release-name-web: needs a person:"
        " set spec.template.spec.automountServiceAccountToken: false on Deployment default/release-name-web"
        " where it is written (tokenlint edits plain manifests only: change the chart's template or values,"
        " or patch it in the kustomization)\n"
    ) in result.stdout
    assert "TL005 Deployment default/release-name-web: needs a person: add this manifest to the chart" in (
        result.stdout
    )
    assert "\n0 findings fixed in 0 files; 2 not changed automatically\n" in result.stdout


def test_sarif_suggests_nothing_for_rendered_charts(tmp_path: Path) -> None:
    chart = tmp_path / "web"
    write(chart, "Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
    write(chart / "templates", "deployment.yaml", CHART_DEPLOYMENT)

    log = json.loads(run(chart, "lint", "--format", "sarif", ".").stdout)

    assert [r for r in log["runs"][0]["results"] if "fixes" in r] == []


def test_kustomize_trees_are_never_edited(tmp_path: Path) -> None:
    tree_copy = copy(tmp_path, EXAMPLES / "kustomize")
    before = tree(tree_copy)

    result = run(tree_copy, "fix", ".")

    assert tree(tree_copy) == before
    assert (
        "TL005 Deployment acme-staging/staging-api: needs a person: add this manifest to the chart's templates"
        " or the kustomization's resources (tokenlint edits neither):\n"
    ) in result.stdout
    assert "fixed:" not in result.stdout
