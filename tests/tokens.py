"""Service account tokens shaped exactly like Kubernetes issues them, for tests only.

They are never valid anywhere: the signature is 256 bytes derived from the header and
claims by SHA-256, not made with any key, so no API server accepts them. Their header
and claims are those of real tokens, which is all tokenlint reads. The fixtures under
``tests/rules/TL011`` hold tokens made here (``python tests/tokens.py`` prints a set).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

KEY_ID = "tokenlint-test-key-not-a-real-key"
FAR_FUTURE = 4102444800  # 2100-01-01T00:00:00Z
PAST = 1577836800  # 2020-01-01T00:00:00Z


def _segment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims: dict[str, Any], alg: str = "RS256") -> str:
    """A compact JWS with a filler signature of the length RS256 signatures have."""
    signing_input = f"{_segment({'alg': alg, 'kid': KEY_ID})}.{_segment(claims)}"
    filler = b"".join(hashlib.sha256(signing_input.encode() + bytes([i])).digest() for i in range(8))
    return f"{signing_input}.{base64.urlsafe_b64encode(filler).rstrip(b'=').decode()}"


def legacy_token(namespace: str, account: str, secret: str) -> str:
    """A Secret-based token, as the token controller writes into ``data.token``."""
    return jwt(
        {
            "iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": namespace,
            "kubernetes.io/serviceaccount/secret.name": secret,
            "kubernetes.io/serviceaccount/service-account.name": account,
            "kubernetes.io/serviceaccount/service-account.uid": hashlib.md5(account.encode()).hexdigest(),
            "sub": f"system:serviceaccount:{namespace}:{account}",
        }
    )


def bound_token(namespace: str, account: str, *, expires: int = FAR_FUTURE, pod: str | None = None) -> str:
    """A TokenRequest token (``kubectl create token``), bound to a pod when ``pod`` is given."""
    private: dict[str, Any] = {
        "namespace": namespace,
        "serviceaccount": {"name": account, "uid": hashlib.md5(account.encode()).hexdigest()},
    }
    if pod is not None:
        private["pod"] = {"name": pod, "uid": hashlib.md5(pod.encode()).hexdigest()}
    return jwt(
        {
            "aud": ["https://kubernetes.default.svc.cluster.local"],
            "exp": expires,
            "iat": expires - 3600,
            "iss": "https://kubernetes.default.svc.cluster.local",
            "jti": hashlib.md5(f"{namespace}/{account}/{expires}".encode()).hexdigest(),
            "kubernetes.io": private,
            "nbf": expires - 3600,
            "sub": f"system:serviceaccount:{namespace}:{account}",
        }
    )


def other_jwt() -> str:
    """An OIDC ID token of a person: a JWT, but no service account's."""
    return jwt({"iss": "https://login.example.com", "sub": "alice@example.com", "aud": "kubectl", "exp": FAR_FUTURE})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def fingerprint(secret: str) -> str:
    """The name reports give a secret: the first twelve hex characters of its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


if __name__ == "__main__":
    print("legacy", legacy_token("build", "ci-deployer", "ci-deployer-token"))
    print("bound", bound_token("shop", "api", pod="api-7d9f8-x2x4q"))
    print("expired", bound_token("shop", "reports", expires=PAST))
    print("other", other_jwt())
