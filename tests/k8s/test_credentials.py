"""Finding, decoding and redacting credentials in values: table-driven over what users commit."""

from __future__ import annotations

import base64
import json

import pytest
import tokens

from tokenlint.k8s.credentials import describe_jwt, find, mask, may_carry, redact, text_credentials
from tokenlint.model import CredentialKind
from tokenlint.resources.resource import FileOrigin, resources_of
from tokenlint.yaml.reader import parse_stream

LEGACY = tokens.legacy_token("build", "ci-deployer", "ci-deployer-token")
BOUND = tokens.bound_token("shop", "api", pod="api-1")


def resource(text: str):  # type: ignore[no-untyped-def]
    docs, errors = parse_stream(text.encode())
    assert not errors
    (found,) = resources_of(docs[0], FileOrigin("x.yaml"), "default")
    return found


def _segment(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param(
            LEGACY,
            (CredentialKind.SERVICE_ACCOUNT_TOKEN, "build", "ci-deployer", True, "ci-deployer-token", None, None),
            id="legacy claims",
        ),
        pytest.param(
            BOUND,
            (CredentialKind.SERVICE_ACCOUNT_TOKEN, "shop", "api", False, None, "api-1", tokens.FAR_FUTURE),
            id="bound to a pod",
        ),
        pytest.param(
            tokens.jwt({"sub": "system:serviceaccount:kube-system:replicaset-controller", "exp": 100}),
            (CredentialKind.SERVICE_ACCOUNT_TOKEN, "kube-system", "replicaset-controller", False, None, None, 100),
            id="subject only",
        ),
        pytest.param(
            tokens.jwt(
                {"kubernetes.io": {"namespace": "ci", "serviceaccount": {"name": "bot"}, "secret": {"name": "s"}}}
            ),
            (CredentialKind.SERVICE_ACCOUNT_TOKEN, "ci", "bot", False, "s", None, None),
            id="bound to a Secret, no exp",
        ),
        pytest.param(
            tokens.other_jwt(), (CredentialKind.JWT, None, None, False, None, None, tokens.FAR_FUTURE), id="other JWT"
        ),
        pytest.param(
            f"{_segment({'alg': 'none'})}.{_segment({'iss': 'x', 'exp': 1e400})}.",
            (CredentialKind.JWT, None, None, False, None, None, None),
            id="unsigned, exp out of range",
        ),
    ],
)
def test_tokens_are_described_by_their_claims(token: str, expected: tuple[object, ...]) -> None:
    found = describe_jwt(token)
    assert found is not None
    assert (found.kind, found.namespace, found.account, found.legacy, found.secret, found.pod, found.expires) == (
        expected
    )
    assert found.fingerprint == tokens.fingerprint(token)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{_segment({'typ': 'JWT'})}.{_segment({'sub': 'x'})}.sig", id="header without alg"),
        pytest.param(f"{_segment({'alg': 'RS256'})}.{_segment([1, 2])}.sig", id="claims not an object"),
        pytest.param("eyJub3QiOiJhIHRva2VuIn0.eyJ0aGlzIGlzIG5vdCBKU09O.c2ln", id="claims not JSON"),
        pytest.param(f"{_segment({'alg': 'RS256'})}.{_segment({'a': 1})}", id="two parts"),
        pytest.param("eyJ" + "[" * 5000 + ".eyJ.x", id="deep nesting"),
    ],
)
def test_what_is_not_a_jwt_is_not_reported(text: str) -> None:
    assert describe_jwt(text) is None
    assert text_credentials(text) == []


def test_tokens_are_found_inside_text_plain_base64_and_in_an_embedded_kubeconfig() -> None:
    applied = json.dumps({"kind": "Secret", "data": {"token": tokens.b64(LEGACY)}, "stringData": {"t": BOUND}})
    found = {(c.fingerprint, c.carrier) for c in text_credentials(applied)}
    assert found == {(tokens.fingerprint(LEGACY), "base64"), (tokens.fingerprint(BOUND), "")}
    kubeconfig = f"users:\n  - name: bot\n    user:\n      token: {BOUND}\n"
    (embedded,) = text_credentials(kubeconfig)
    assert (embedded.account, embedded.carrier) == ("api", "embedded kubeconfig user bot")


def test_base64_data_is_decoded_whatever_the_offset_of_the_token() -> None:
    """A kubeconfig stored base64 in a Secret puts the token at any byte offset."""
    for prefix in ("", "a", "ab"):
        config = f"# {prefix}\nusers:\n- name: ci\n  user:\n    token: {LEGACY}\n"
        secret = resource(
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  config: {tokens.b64(config)}\n"
        )
        (found,) = find(secret, scan_strings=True)
        assert (found.path, found.account) == (("data", "config"), "ci-deployer"), prefix


def test_kubeconfig_users_are_read_and_placeholders_are_not_credentials() -> None:
    config = resource(
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\nusers:\n"
        "  - {name: a, user: {token: abc123def}}\n"
        "  - {name: b, user: {token: '${TOKEN}', password: '<password>'}}\n"
        "  - {name: c, user: {username: bob, password: hunter2}}\n"
        "  - {name: d, user: {auth-provider: {name: oidc, config: {refresh-token: r3fr3sh, client-id: k}}}}\n"
        "  - {name: e, user: {tokenFile: /run/token, client-key: key.pem}}\n"
    )
    assert config.ref.display() == "Config dev"
    got = [(c.path, c.kind, c.user) for c in find(config, scan_strings=False)]
    assert got == [
        (("users", 0, "user", "token"), CredentialKind.STATIC_TOKEN, "a"),
        (("users", 2, "user", "password"), CredentialKind.PASSWORD, "bob"),
        (("users", 3, "user", "auth-provider", "config", "refresh-token"), CredentialKind.AUTH_PROVIDER, "d"),
    ]


def test_redaction_leaves_a_placeholder_and_the_record() -> None:
    pod = resource(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {a: &t " + BOUND + ", b: *t}\n"
        "spec:\n  containers:\n    - name: c\n      args: [--token, " + LEGACY + "]\n"
    )
    redact(pod, scan_strings=True)
    assert [c.path for c in pod.credentials] == [
        ("metadata", "annotations", "a"),
        ("metadata", "annotations", "b"),
        ("spec", "containers", 0, "args", 1),
    ]
    assert pod.get(("spec", "containers", 0, "args")) == [
        "--token",
        f"<redacted by tokenlint: sha256:{tokens.fingerprint(LEGACY)}>",
    ]
    assert BOUND not in str(pod.body)
    assert LEGACY not in str(pod.body)


def test_streams_without_a_marker_are_not_walked() -> None:
    assert not may_carry(b"apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n")
    assert may_carry(tokens.b64(LEGACY).encode())
    assert may_carry(b"client-key-data: abc")


def test_secret_data_is_read_even_where_the_stream_has_no_marker() -> None:
    """Base64 hides every marker; a kubeconfig with a password carries none at all."""
    config = "apiVersion: v1\nkind: Config\nusers:\n- name: ops\n  user: {username: ops, password: hunter2}\n"
    text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations: {{copy: {LEGACY}}}\ndata:\n"
    secret = resource(text + f"  kubeconfig: {tokens.b64(config)}\n")
    assert not may_carry(tokens.b64(config).encode())
    found = [(c.path, c.kind, c.user) for c in find(secret, scan_strings=False)]
    assert found == [
        (("data", "kubeconfig"), CredentialKind.PASSWORD, "ops"),
        (
            ("metadata", "annotations", "copy"),
            CredentialKind.SERVICE_ACCOUNT_TOKEN,
            "system:serviceaccount:build:ci-deployer",
        ),
    ]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        pytest.param(
            f"  value: {BOUND}\n",
            f"  value: <redacted by tokenlint: sha256:{tokens.fingerprint(BOUND)}>\n",
            id="JWT",
        ),
        pytest.param(
            f"  token: {tokens.b64(LEGACY)}\n",
            f"  token: <redacted by tokenlint: sha256:{tokens.fingerprint(LEGACY)}>\n",
            id="base64 JWT",
        ),
        pytest.param(
            '  "password": "hunter22",\n',
            '  "password": "<redacted by tokenlint: sha256:{}>",\n'.format(tokens.fingerprint("hunter22")),
            id="JSON password",
        ),
        pytest.param("      password: ${PASSWORD}\n", "      password: ${PASSWORD}\n", id="placeholder kept"),
        pytest.param(
            "      automountServiceAccountToken: false\n", "      automountServiceAccountToken: false\n", id="no secret"
        ),
        pytest.param("  ca.crt: " + "QUJD" * 20 + "\n", "  ca.crt: " + "QUJD" * 20 + "\n", id="other base64 kept"),
    ],
)
def test_mask_hides_the_credentials_of_text_shown_to_a_person(line: str, shown: str) -> None:
    assert mask(line) == shown
