"""TL011 committed-token: a credential written into a manifest or a kubeconfig file.

A token in a repository is not a misconfiguration waiting for an attacker: it is a
credential already handed out to everyone who can read the repository and its history.
The engine has found every credential in the values of every resource and replaced it by
its fingerprint (:mod:`tokenlint.k8s.credentials`); this rule reports each value that
held one, says whose it is, whether it still works and, through the bundle's RBAC, what
it reaches. It runs over the bundle because that reach is a cross-file question.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tokenlint.admission import Exported, NotExportable
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.reach import Reach, reach_of
from tokenlint.model import Credential, CredentialKind, Related, Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "committed-token"


def _date(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return f"Unix time {timestamp}"


def _expired(credential: Credential, now: float) -> bool:
    return credential.expires is not None and credential.expires <= now


def _lifetime(credential: Credential, now: float) -> str:
    if credential.expires is None:
        return "never expires"
    verb = "expired" if _expired(credential, now) else "expires"
    return f"{verb} {_date(credential.expires)}"


def _identity(credential: Credential) -> str:
    """The fingerprint and how the value carries the secret: all that stands for it."""
    how = f"{credential.carrier}, " if credential.carrier else ""
    return f"{how}sha256:{credential.fingerprint}"


class _Judge:
    """Says what one credential is, what it is worth and how to revoke it."""

    def __init__(self, index: BundleIndex, ctx: Context) -> None:
        self.index = index
        self.ctx = ctx
        self.reach: Reach = reach_of(index)
        self.now = time.time()

    def account_token(self, credential: Credential) -> tuple[Severity, str, list[Related]]:
        namespace, account = credential.namespace or "", credential.account or ""
        who = f"ServiceAccount {namespace}/{account}"
        if credential.legacy:
            form = f"legacy token of {who}" + (f" (Secret {credential.secret})" if credential.secret else "")
            revoke = f"delete Secret {namespace}/{credential.secret or '<its token Secret>'} to revoke it"
        else:
            bound_to = f"Pod {credential.pod}" if credential.pod else None
            bound_to = bound_to or (f"Secret {credential.secret}" if credential.secret else None)
            form = f"bound token of {who}" + (f", bound to {bound_to}" if bound_to else "")
            revoke = f"recreate {who} to revoke it" + (f" (or delete {bound_to})" if bound_to else "")
        audience = f", audience {', '.join(credential.audience)}" if credential.audience else ""
        head = f"committed {form}, {_lifetime(credential, self.now)}{audience} ({_identity(credential)})"
        related: list[Related] = []
        sa = self.index.service_account(namespace, account)
        if sa is not None:
            related.append(self.ctx.related(sa, ("metadata", "name"), who))
        if _expired(credential, self.now):
            return Severity.LOW, f"{head}: no longer accepted, but still in the history", related
        key = (namespace, account)
        if not self.reach.bindings_of(key):
            worth = "the input holds no binding for it: what it reaches is not known here"
            return Severity.HIGH, f"{head}: {worth}; {revoke}", related
        reach = self.reach.of_account(key)
        worst = reach.worst
        if worst is None:
            return Severity.HIGH, f"{head}: it {reach.describe()}; {revoke}", related
        return Severity.CRITICAL, f"{head}: it {reach.describe()}; {revoke}", [*related, *worst.steps]

    def other(self, credential: Credential) -> tuple[Severity, str, list[Related]]:
        """Credentials that are not a service account's: still secrets, valued lower."""
        identity = _identity(credential)
        if credential.kind is CredentialKind.JWT:
            claims = [f"issuer {credential.issuer}" if credential.issuer else "no issuer"]
            if credential.user:
                claims.append(f"subject {credential.user}")
            claims.append(_lifetime(credential, self.now))
            text = (
                f"committed JSON Web Token, not a Kubernetes service account's ({', '.join(claims)}; {identity}): "
                "revoke it with its issuer"
            )
        else:
            whose = f" of user {credential.user}" if credential.kind is CredentialKind.PASSWORD else ""
            text = f"committed {credential.kind.value}{whose} ({identity}), not a service account token"
            if credential.kind is CredentialKind.CLIENT_KEY:
                text += ": Kubernetes cannot revoke a client certificate; rotate the CA or let the certificate expire"
            else:
                text += ": revoke it where it was issued"
        return (Severity.LOW if _expired(credential, self.now) else Severity.MEDIUM), text, []

    def report(self, resource: Resource, credentials: list[Credential]) -> None:
        judged = [
            self.account_token(c) if c.kind is CredentialKind.SERVICE_ACCOUNT_TOKEN else self.other(c)
            for c in credentials
        ]
        severity = max(severity for severity, _text, _related in judged)
        if len(judged) == 1:
            message = judged[0][1]
        else:
            message = f"{len(judged)} committed credentials in one value: " + "; ".join(t for _s, t, _r in judged)
        fingerprints = ",".join(f"sha256:{c.fingerprint}" for c in credentials)
        self.ctx.report(
            resource,
            credentials[0].path,
            message,
            severity=severity,
            related=[r for _s, _t, related in judged for r in related],
            properties={"credentials": fingerprints},
        )


class Rule(BundleRule):
    """A credential in a committed file has already leaked; the finding says what it opens."""

    meta = RuleMeta(
        id="TL011",
        name=NAME,
        severity=Severity.HIGH,
        summary="a service account token or other credential written into a manifest or kubeconfig",
        help_path=page_beside(__file__, NAME),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        return NotExportable(
            "a credential committed to files is already handed out when it reaches the cluster, and recognising one "
            "needs the token decoder the linter runs"
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        judge = _Judge(index, ctx)
        for resource in index.credential_carriers:
            # One finding per value: a value can hold several (a kubeconfig, an annotation).
            by_path: dict[tuple[str | int, ...], list[Credential]] = {}
            for credential in resource.credentials:
                by_path.setdefault(credential.path, []).append(credential)
            for credentials in by_path.values():
                judge.report(resource, credentials)
