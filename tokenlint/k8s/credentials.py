"""Credentials written into manifests and kubeconfig files, found without keeping the secret.

A token pasted into a Secret, a ConfigMap, an environment variable or a kubeconfig is a
credential already handed out. This module finds JSON Web Tokens in every string value
of a resource (also base64-encoded, as in Secret ``data``, and inside a kubeconfig held
in a value) and the credentials of kubeconfig users, and decodes a token's header and
claims without verifying anything: no key, no network. It recognises the two kinds of
token Kubernetes issues to a service account:

- legacy Secret-based tokens (``iss: kubernetes/serviceaccount`` and the claims
  ``kubernetes.io/serviceaccount/namespace``, ``.../service-account.name`` and
  ``.../secret.name``), which have no ``exp`` and stay valid until their Secret is deleted;
- bound tokens from the TokenRequest API (a ``kubernetes.io`` claim naming the namespace,
  the service account and the pod or Secret the token is bound to, with ``exp`` and
  ``aud``), valid until ``exp`` or until the object they are bound to is deleted.

:func:`redact` replaces every value that holds a secret by a placeholder that carries
only its fingerprint and records a :class:`~tokenlint.model.Credential` on the resource,
before any rule, cache entry or message can see the value. Rules read those records;
nothing downstream ever holds the secret.

Looking at every string must cost nearly nothing when there is no token: a stream is
walked only when its bytes hold a marker (``eyJ``, the start of every JWT; ``ZXlK``, its
base64; ``client-key-data``), and a string is decoded only when it holds one itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from tokenlint.model import Credential, CredentialKind, FieldPath
from tokenlint.resources.resource import Resource, is_kubeconfig
from tokenlint.yaml.reader import Document, iter_stream

LEGACY_ISSUER = "kubernetes/serviceaccount"
"""The issuer of every Secret-based token (``legacy.go`` in Kubernetes' serviceaccount package)."""
LEGACY_NAMESPACE = "kubernetes.io/serviceaccount/namespace"
LEGACY_ACCOUNT = "kubernetes.io/serviceaccount/service-account.name"
LEGACY_SECRET = "kubernetes.io/serviceaccount/secret.name"
BOUND_CLAIM = "kubernetes.io"
"""The private claim of bound tokens: namespace, serviceaccount, pod or secret, node."""
SA_SUBJECT = "system:serviceaccount:"

FINGERPRINT_LENGTH = 12
"""Hex characters of the SHA-256 shown in place of a secret: enough to tell tokens apart
and to find the same token elsewhere, far too few to recover anything."""

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*")
"""Compact JWS: a header and claims that are base64url JSON objects (``{"`` encodes to
``eyJ``), then a signature, possibly empty (``alg: none``)."""
_BASE64_JWT = re.compile(r"ZXlK[A-Za-z0-9+/]{8,}={0,2}")
"""A base64 run whose text starts with ``eyJ``: a token encoded as Secret ``data`` is."""

_BASE64_FIELDS = {"Secret": "data", "ConfigMap": "binaryData"}
"""Fields whose values are base64 of the real value (the API server decodes them)."""


def _stems(marker: bytes) -> tuple[str, ...]:
    """The base64 text that ``marker`` always encodes to, at each of the three byte alignments.

    Only characters made of the marker's own bits are kept, so each stem occurs in the
    base64 of any value that holds the marker at that alignment, whatever surrounds it.
    """
    stems = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + marker + b"\0\0").decode()
        first, last = -(-shift * 8 // 6), (shift + len(marker)) * 8 // 6
        stems.append(encoded[first:last])
    return tuple(stems)


_TEXT_MARKERS = ("eyJ", "ZXlK", "client-key-data")
"""A string is decoded only when it holds one: a JWT, a JWT in base64, a kubeconfig's key."""
_BASE64_STEMS = tuple(stem for marker in (b"eyJ", b"client-key-data", b"users:") for stem in _stems(marker))
"""A base64 value (Secret ``data``) is decoded only when it holds one of these: a token or a
kubeconfig at any offset of the decoded text."""
_STREAM_MARKERS = tuple(marker.encode() for marker in _TEXT_MARKERS)


def may_carry(data: bytes) -> bool:
    """Whether a stream's bytes can hold a credential in a value: the cheap test that
    spares walking the documents of nearly every file. Secret ``data`` and kubeconfig
    users are looked at whatever it says (:func:`find`); three byte searches here cost a
    few milliseconds per 10 MB, a walk of every string some hundreds."""
    return any(marker in data for marker in _STREAM_MARKERS)


def fingerprint(secret: str) -> str:
    """What stands for a secret in every output: a prefix of its SHA-256."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_LENGTH]


def placeholder(fingerprints: list[str]) -> str:
    """The text that replaces a value holding secrets, in the body every later stage reads."""
    return f"<redacted by tokenlint: sha256:{', sha256:'.join(fingerprints)}>"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return int(value)
    except (OverflowError, ValueError):  # inf, nan
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _base64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_object(part: str) -> dict[str, Any] | None:
    try:
        value = json.loads(_base64url(part))
    except (ValueError, binascii.Error, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return value if isinstance(value, dict) else None


def _audience(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def describe_jwt(token: str, carrier: str = "") -> Credential | None:
    """What a JWT says about itself, or None when ``token`` is not one.

    Nothing is verified: the signature is not checked (tokenlint holds no key and never
    calls the issuer), so the answer is what the token claims, which is what the API
    server would accept if the signature is good.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, claims = _json_object(parts[0]), _json_object(parts[1])
    if header is None or claims is None or "alg" not in header:
        return None
    subject = _str(claims.get("sub"))
    jwt = Credential(
        (),
        CredentialKind.JWT,
        fingerprint(token),
        carrier,
        issuer=_str(claims.get("iss")),
        audience=_audience(claims.get("aud")),
        issued=_int(claims.get("iat")),
        expires=_int(claims.get("exp")),
        user=subject,
    )
    bound = claims.get(BOUND_CLAIM)
    namespace = account = secret = pod = None
    legacy = False
    if claims.get("iss") == LEGACY_ISSUER or LEGACY_ACCOUNT in claims:
        legacy = True
        namespace, account = _str(claims.get(LEGACY_NAMESPACE)), _str(claims.get(LEGACY_ACCOUNT))
        secret = _str(claims.get(LEGACY_SECRET))
    elif isinstance(bound, dict):
        namespace = _str(bound.get("namespace"))
        account = _str(_mapping(bound.get("serviceaccount")).get("name"))
        pod = _str(_mapping(bound.get("pod")).get("name"))
        secret = _str(_mapping(bound.get("secret")).get("name"))
    if (not namespace or not account) and subject and subject.startswith(SA_SUBJECT):
        # The subject is what the API server authenticates: system:serviceaccount:NS:NAME.
        ns, _, name = subject[len(SA_SUBJECT) :].partition(":")
        namespace, account = namespace or _str(ns), account or _str(name)
    if not namespace or not account:
        return jwt
    kind = CredentialKind.SERVICE_ACCOUNT_TOKEN
    return replace(jwt, kind=kind, namespace=namespace, account=account, legacy=legacy, secret=secret, pod=pod)


_PLACEHOLDER = re.compile(r"^\s*(\$\{.*\}|\$\(.*\)|<.*>|\{\{.*\}\})\s*$|redacted|changeme", re.IGNORECASE)
"""Values that stand for a secret supplied elsewhere (``${TOKEN}``, ``<token>``, a template)."""


def _secret(value: Any) -> str | None:
    """A value that holds a secret, not a reference to one or a placeholder."""
    if not isinstance(value, str) or not value.strip() or _PLACEHOLDER.search(value):
        return None
    return value.strip()


def _credential(value: str, kind: CredentialKind, where: str, user: str) -> Credential:
    """A JWT described by its claims, any other secret by its fingerprint alone."""
    if kind in (CredentialKind.STATIC_TOKEN, CredentialKind.AUTH_PROVIDER):
        jwt = describe_jwt(value, where)
        if jwt is not None:
            return jwt
    return Credential((), kind, fingerprint(value), where, user=user)


_USER_SECRETS: tuple[tuple[tuple[str, ...], CredentialKind], ...] = (
    (("token",), CredentialKind.STATIC_TOKEN),
    (("client-key-data",), CredentialKind.CLIENT_KEY),
    (("password",), CredentialKind.PASSWORD),
    *(
        (("auth-provider", "config", key), CredentialKind.AUTH_PROVIDER)
        for key in ("id-token", "refresh-token", "client-secret")
    ),
)
"""The values of a kubeconfig user that are secrets. ``tokenFile`` and ``client-key`` name
files that are not part of the input; ``client-certificate-data`` is public."""


def kubeconfig_credentials(config: dict[str, Any], embedded: bool = False) -> Iterator[tuple[FieldPath, Credential]]:
    """The credentials of a kubeconfig's users, each with its path in ``config``."""
    users = config.get("users")
    if not isinstance(users, list):
        return
    for i, entry in enumerate(users):
        user = _mapping(_mapping(entry).get("user"))
        name = _str(_mapping(entry).get("name")) or f"users[{i}]"
        where = f"{'embedded ' if embedded else ''}kubeconfig user {name}"
        for steps, kind in _USER_SECRETS:
            node: Any = user
            for step in steps:
                node = _mapping(node).get(step)
            value = _secret(node)
            if value is not None:
                shown = _str(user.get("username")) or name if kind is CredentialKind.PASSWORD else name
                yield ("users", i, "user", *steps), _credential(value, kind, where, shown)


def _embedded_kubeconfigs(text: str) -> Iterator[Credential]:
    """Credentials of a kubeconfig written inside a value (a ConfigMap key, a Secret's data)."""
    for item in iter_stream(text.encode("utf-8", "surrogatepass")):
        if isinstance(item, Document) and isinstance(item.data, dict):
            for _path, found in kubeconfig_credentials(item.data, embedded=True):
                yield found


def text_credentials(text: str, carrier: str = "") -> list[Credential]:
    """The credentials in one string value, each once (by fingerprint), without paths."""
    found: dict[str, Credential] = {}
    if "users:" in text or "client-key-data" in text:
        for credential in _embedded_kubeconfigs(text):
            found.setdefault(credential.fingerprint, credential)
    if "eyJ" in text:
        for match in _JWT.finditer(text):
            jwt = describe_jwt(match.group(), carrier)
            if jwt is not None:
                found.setdefault(jwt.fingerprint, jwt)
    if "ZXlK" in text:
        for match in _BASE64_JWT.finditer(text):
            for jwt in _decoded_credentials(match.group(), "base64"):
                found.setdefault(jwt.fingerprint, jwt)
    return list(found.values())


def _decoded_credentials(encoded: str, carrier: str) -> list[Credential]:
    """The credentials in the text that a base64 value decodes to (none if it is not text)."""
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded.rstrip("=")) % 4)).decode("utf-8")
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return []
    return text_credentials(decoded, carrier)


def _base64_value(value: str) -> list[Credential]:
    if not any(stem in value for stem in _BASE64_STEMS):
        return []
    return _decoded_credentials("".join(value.split()), "base64")


def _strings(node: Any, path: FieldPath, seen: set[int]) -> Iterator[tuple[FieldPath, str]]:
    """Every string value below ``node`` that holds a marker, with its path.

    A node shared through YAML aliases is walked once (its first path), so an alias-heavy
    document costs its size, not its expansion.
    """
    if id(node) in seen:
        return
    seen.add(id(node))
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, str):
            if any(marker in value for marker in _TEXT_MARKERS):
                yield (*path, key), value
        elif isinstance(value, (dict, list)):
            yield from _strings(value, (*path, key), seen)


def _add(found: dict[FieldPath, list[Credential]], path: FieldPath, credentials: list[Credential]) -> None:
    if credentials:
        found.setdefault(path, []).extend(replace(c, path=path) for c in credentials)


def find(resource: Resource, scan_strings: bool) -> list[Credential]:
    """The credentials in ``resource``'s values, with their paths.

    ``scan_strings`` is :func:`may_carry` of the resource's stream. A kubeconfig's users
    and the base64 values of Secret ``data`` (ConfigMap ``binaryData``) are looked at in
    any case: a password carries no marker, and base64 hides the markers of a token or a
    kubeconfig at any offset. A resource with a credential there is walked whole, so that a
    copy elsewhere (``last-applied-configuration``) is found and redacted too.
    """
    body = resource.body
    found: dict[FieldPath, list[Credential]] = {}
    if is_kubeconfig(body):
        for path, credential in kubeconfig_credentials(body):
            found.setdefault(path, []).append(replace(credential, path=path))
    encoded_field = _BASE64_FIELDS.get(resource.kind)
    if encoded_field is not None:
        for key, value in _mapping(body.get(encoded_field)).items():
            if isinstance(value, str):
                _add(found, (encoded_field, key), _base64_value(value))
    if scan_strings or found:
        for path, value in _strings(body, (), set()):
            # Base64 values were read decoded above, where a token at any offset shows.
            if path not in found and not (len(path) == 2 and path[0] == encoded_field):
                _add(found, path, text_credentials(value))
    return [credential for credentials in found.values() for credential in credentials]


def redact(resource: Resource, scan_strings: bool) -> None:
    """Find the credentials of ``resource`` and replace each value holding one by a placeholder.

    Runs before any rule sees the resource, so that no rule message (a custom rule quoting
    the value it rejects), cache entry or report can hold the secret. The records stay on
    :attr:`~tokenlint.resources.Resource.credentials` for the rules.
    """
    credentials = find(resource, scan_strings)
    if not credentials:
        return
    by_path: dict[FieldPath, list[str]] = {}
    for credential in credentials:
        by_path.setdefault(credential.path, []).append(credential.fingerprint)
    for path, fingerprints in by_path.items():
        parent = resource.get(path[:-1])
        if isinstance(parent, (dict, list)):
            parent[path[-1]] = placeholder(fingerprints)  # type: ignore[index]
    resource.credentials = tuple(credentials)


_KEYED_SECRET = re.compile(
    r"""(?P<key>\b(?:client-key-data|password|token|id-token|refresh-token|client-secret)["']?\s*:\s*)"""
    r"""(?P<quote>["']?)(?P<value>[^\s"'#]+)"""
)
"""A kubeconfig secret written on one line: ``password: VALUE``, ``"token": "VALUE"``."""
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def _mask_base64(match: re.Match[str]) -> str:
    run = match.group()
    found = _decoded_credentials(run, "base64") if any(stem in run for stem in _BASE64_STEMS) else []
    return placeholder([c.fingerprint for c in found]) if found else run


def _mask_keyed(match: re.Match[str]) -> str:
    value = _secret(match.group("value"))
    if value is None or value.startswith("<redacted by tokenlint"):
        return match.group()
    return f"{match.group('key')}{match.group('quote')}{placeholder([fingerprint(value)])}"


def mask(text: str) -> str:
    """``text`` from an input file, as shown to a person (the context of a diff), with every
    credential on its lines replaced by a placeholder: JWTs, base64 that decodes to one,
    and the values of kubeconfig secret keys. Line by line, so the text keeps its shape."""
    if not any(marker in text for marker in ("eyJ", "password", "token", "client-", *_BASE64_STEMS)):
        return text
    text = _JWT.sub(lambda m: placeholder([fingerprint(m.group())]), text)
    text = _BASE64_RUN.sub(_mask_base64, text)
    return _KEYED_SECRET.sub(_mask_keyed, text)
