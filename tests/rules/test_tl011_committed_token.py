"""TL011 on the five carriers a leaked token is found in, and the secret in no output at all.

The fixtures in ``TL011/fail-carriers`` hold tokens made by ``tests/tokens.py`` (shaped like
Kubernetes' own, signed by no key). Each carrier must be reported with its account, its
form and expiry and the right severity; then every output format, the cache folder and a
baseline file are searched for every form of every secret the fixtures hold.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
import tokens
from typer.testing import CliRunner, Result

from tokenlint.cli import app

CARRIERS = Path(__file__).parent / "TL011" / "fail-carriers"

LEGACY = tokens.legacy_token("build", "ci-deployer", "ci-deployer-token")
BOUND = tokens.bound_token("shop", "api", pod="api-7d9f8-x2x4q")
EXPIRED = tokens.bound_token("shop", "reports", expires=tokens.PAST)
EMBEDDED = tokens.legacy_token("ops", "backup", "backup-token")
OTHER = tokens.other_jwt()
PASSWORD = "s3cr3t-Passw0rd"


def _client_key() -> str:
    match = re.search(r"client-key-data: (\S+)", (CARRIERS / "kubeconfig.yaml").read_text(encoding="utf-8"))
    assert match
    return match.group(1)


def secret_forms() -> dict[str, str]:
    """Every text that would give a secret away: each token, its signature, its base64 form;
    the key as committed and decoded; the password."""
    forms = {"password": PASSWORD}
    for name, token in (("legacy", LEGACY), ("bound", BOUND), ("expired", EXPIRED), ("embedded", EMBEDDED)):
        forms[name] = token
        forms[f"{name} signature"] = token.rsplit(".", 1)[1]
        forms[f"{name} base64"] = tokens.b64(token)
    forms["other"] = OTHER
    key = _client_key()
    forms["client key"] = key
    forms["client key material"] = base64.b64decode(key).decode().splitlines()[1]
    return forms


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def carriers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The carriers copied to a working folder, so that paths in reports are short."""
    shutil.copytree(CARRIERS, tmp_path / "deploy")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKENLINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_the_fixtures_hold_every_secret_the_leak_tests_look_for() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CARRIERS.iterdir()))
    for name in ("legacy base64", "bound", "expired", "embedded", "other", "client key", "password"):
        assert secret_forms()[name] in text, name


def findings(carriers: Path) -> list[dict[str, object]]:
    result = invoke("lint", "deploy", "--format", "json", "--select", "TL011", "--no-cache")
    assert result.exit_code == 1, result.output
    return [f for f in json.loads(result.output)["findings"] if f["rule"] == "TL011"]


def test_each_carrier_is_reported_with_its_account_form_expiry_and_severity(carriers: Path) -> None:
    got = {
        (f["location"]["path"], f["location"]["line"], f["resource"]["kind"], f["resource"]["name"], f["severity"])  # type: ignore[index]
        for f in findings(carriers)
    }
    assert got == {
        ("deploy/secrets.yaml", 14, "Secret", "ci-deployer-token", "critical"),
        ("deploy/secrets.yaml", 25, "Secret", "api-credentials", "high"),
        ("deploy/configmap.yaml", 9, "ConfigMap", "backup-kubeconfig", "high"),
        ("deploy/deployment.yaml", 23, "Deployment", "reports", "low"),
        ("deploy/kubeconfig.yaml", 12, "Config", "prod", "medium"),
        ("deploy/kubeconfig.yaml", 16, "Config", "prod", "medium"),
        ("deploy/kubeconfig.yaml", 21, "Config", "prod", "medium"),
    }


@pytest.mark.parametrize(
    ("line", "pieces"),
    [
        pytest.param(
            14,
            [
                "committed legacy token of ServiceAccount build/ci-deployer (Secret ci-deployer-token), never expires",
                "(base64, sha256:" + tokens.fingerprint(LEGACY) + ")",
                "it reaches 1 capability (TL101)",
                "delete Secret build/ci-deployer-token to revoke it",
            ],
            id="legacy token Secret",
        ),
        pytest.param(
            25,
            [
                "committed bound token of ServiceAccount shop/api, bound to Pod api-7d9f8-x2x4q, "
                "expires 2100-01-01 00:00 UTC, audience https://kubernetes.default.svc.cluster.local",
                "it grants nothing in this bundle",
                "recreate ServiceAccount shop/api to revoke it (or delete Pod api-7d9f8-x2x4q)",
            ],
            id="stringData",
        ),
        pytest.param(
            9,
            [
                "committed legacy token of ServiceAccount ops/backup (Secret backup-token), never expires "
                "(embedded kubeconfig user backup, sha256:",
                "the input holds no binding for it: what it reaches is not known here",
            ],
            id="ConfigMap kubeconfig",
        ),
        pytest.param(
            23,
            [
                "committed bound token of ServiceAccount shop/reports, expired 2020-01-01 00:00 UTC",
                "no longer accepted",
            ],
            id="env value",
        ),
        pytest.param(
            16,
            [
                "committed JSON Web Token, not a Kubernetes service account's (issuer https://login.example.com, "
                "subject alice@example.com, expires 2100-01-01 00:00 UTC; kubeconfig user oidc, sha256:"
            ],
            id="kubeconfig user token",
        ),
        pytest.param(12, ["committed client key (kubeconfig user admin, sha256:"], id="client-key-data"),
        pytest.param(21, ["committed password of user ops (kubeconfig user basic, sha256:"], id="password"),
    ],
)
def test_messages_say_whose_token_it_is_and_how_to_revoke_it(carriers: Path, line: int, pieces: list[str]) -> None:
    (message,) = [f["message"] for f in findings(carriers) if f["location"]["line"] == line]  # type: ignore[index]
    for piece in pieces:
        assert piece in message


def test_the_critical_finding_carries_the_path_its_token_reaches(carriers: Path) -> None:
    (legacy,) = [f for f in findings(carriers) if f["severity"] == "critical"]
    steps = [(r["message"], r["location"]["path"], r["location"]["line"]) for r in legacy["related"]]  # type: ignore[index, attr-defined]
    assert steps == [
        ("ServiceAccount build/ci-deployer", "deploy/rbac.yaml", 5),
        (
            "RoleBinding ci-deployer-secrets binds Role build/secret-reader in namespace build "
            "to ServiceAccount build/ci-deployer",
            "deploy/rbac.yaml",
            28,
        ),
        ("Role build/secret-reader", "deploy/rbac.yaml", 11),
        (
            "Role secret-reader rules[0] allows get, list on secrets: TL101 read secrets, in namespace build",
            "deploy/rbac.yaml",
            14,
        ),
    ]


def test_tl002_says_the_secret_carries_a_token_value(carriers: Path) -> None:
    result = invoke("lint", "deploy/secrets.yaml", "--format", "json", "--select", "TL002", "--no-cache")
    (finding,) = json.loads(result.output)["findings"]
    assert finding["location"]["line"] == 9
    assert (
        "carries a token value in data.token: a committed credential (TL011 reports the token)" in (finding["message"])
    )


CUSTOM_RULE = """\
id: ORG011
name: no-secret-values
severity: low
summary: Secrets carry no values in the repository
kinds: [Secret]
schema:
  properties:
    stringData:
      additionalProperties: {maxLength: 3}
    data:
      additionalProperties: {maxLength: 3}
"""

DUPLICATE = """\
apiVersion: v1
kind: Secret
metadata:
  name: twice
  namespace: shop
stringData:
  token: {token}
  token: {token}
"""


WORKER = """\
apiVersion: v1
kind: Pod
metadata:
  name: worker
  namespace: build
spec:
  containers:
    - name: worker
      image: registry.example.com/worker:1
      env:
        - name: KUBE_TOKEN
          value: {token}
"""


def test_the_secret_appears_in_no_output_cache_or_baseline(carriers: Path) -> None:
    """Every format, with suppressed findings shown, a custom rule that quotes what it
    rejects, a duplicate key and a broken file next to the tokens; then the cache folder,
    a baseline file and the diff of a fix whose context holds a token."""
    (carriers / "rules").mkdir()
    (carriers / "rules" / "org011.yaml").write_text(CUSTOM_RULE, encoding="utf-8")
    (carriers / ".tokenlint.yaml").write_text("custom-rules: [rules/]\n", encoding="utf-8")
    (carriers / "deploy" / "duplicate.yaml").write_text(DUPLICATE.format(token=BOUND), encoding="utf-8")
    broken = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: broken}}\nstringData:\n  token: {LEGACY}\n  x: [a\n"
    (carriers / "deploy" / "broken.yaml").write_text(broken, encoding="utf-8")
    outputs = {}
    for fmt in ("text", "json", "sarif", "github"):
        result = invoke("lint", "deploy", "--format", fmt, "--show-suppressed", "--cache-dir", "cache")
        assert result.exit_code == 2, result.output  # findings, and the broken file
        outputs[fmt] = result.output
    assert "ORG011" in outputs["json"]
    assert "TL007" in outputs["json"]
    warm = invoke("lint", "deploy", "--format", "json", "--cache-dir", "cache", "-o", "report.json")
    assert warm.exit_code == 2
    outputs["file"] = (carriers / "report.json").read_text(encoding="utf-8")
    assert json.loads(outputs["file"])["findings"] == json.loads(outputs["json"])["findings"]
    (carriers / "deploy" / "broken.yaml").unlink()  # a baseline is not written over input errors
    created = invoke("baseline", "create", "baseline.json", "deploy")
    assert created.exit_code == 0, created.output
    outputs["baseline"] = (carriers / "baseline.json").read_text(encoding="utf-8")
    # A fix inserted right below a token shows it as diff context.
    (carriers / "deploy" / "worker.yaml").write_text(WORKER.format(token=LEGACY), encoding="utf-8")
    fixed = invoke("fix", "--diff", "deploy/worker.yaml", "--select", "TL001")
    assert "+  automountServiceAccountToken: false" in fixed.output, fixed.output
    assert f"value: <redacted by tokenlint: sha256:{tokens.fingerprint(LEGACY)}>" in fixed.output
    outputs["fix --diff"] = fixed.output
    cache = sorted(p for p in (carriers / "cache").rglob("*") if p.is_file())
    assert cache
    stored = b"".join(p.read_bytes() for p in cache)
    for name, form in secret_forms().items():
        for where, text in outputs.items():
            assert form not in text, f"{name} in the {where} output"
        assert form.encode() not in stored, f"{name} in the cache"
    assert f"sha256:{tokens.fingerprint(LEGACY)}" in outputs["text"]


def test_an_acknowledged_test_token_is_suppressed_and_baselines_work(carriers: Path) -> None:
    secret = carriers / "deploy" / "secrets.yaml"
    text = secret.read_text(encoding="utf-8")
    secret.write_text(
        text.replace(
            "  name: api-credentials\n",
            '  name: api-credentials\n  annotations:\n    ignore.tokenlint.io/TL011: "test token, signed by no key"\n',
        ),
        encoding="utf-8",
    )
    result = invoke("lint", "deploy", "--format", "json", "--select", "TL011", "--no-cache", "--show-suppressed")
    suppressed = [f for f in json.loads(result.output)["findings"] if f["suppressed"]]
    assert [(f["resource"]["name"], f["suppression"]["justification"]) for f in suppressed] == [
        ("api-credentials", "test token, signed by no key")
    ]
    assert invoke("baseline", "create", "baseline.json", "deploy", "--select", "TL011").exit_code == 0
    after = invoke("lint", "deploy", "--select", "TL011", "--no-cache", "--baseline", "baseline.json")
    assert after.exit_code == 0, after.output


def test_a_kubeconfig_named_on_the_command_line_is_read_whatever_its_name(carriers: Path) -> None:
    config = carriers / "home" / "config"
    config.parent.mkdir()
    shutil.copy(carriers / "deploy" / "kubeconfig.yaml", config)
    named = invoke("lint", "home/config", "--format", "json", "--no-cache")
    assert {(f["rule"], f["location"]["line"]) for f in json.loads(named.output)["findings"]} == {
        ("TL011", 12),
        ("TL011", 16),
        ("TL011", 21),
    }
    walked = invoke("lint", "home", "--format", "json", "--no-cache")
    assert json.loads(walked.output)["findings"] == []  # folders keep to .yaml, .yml and .json
