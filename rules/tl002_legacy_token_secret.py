"""TL002 legacy-token-secret: a Secret of type ``kubernetes.io/service-account-token``.

Also reports the ``secrets:`` entry of a ServiceAccount that names such a Secret, because
that is where a reader of the ServiceAccount learns that a never-expiring token exists.
It needs both objects, which may live in different files, so it runs over the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation, cel_string
from tokenlint.k8s.index import SA_TOKEN_SECRET_TYPE, BundleIndex
from tokenlint.k8s.reach import reach_of
from tokenlint.model import Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta, page_beside

NAME = "legacy-token-secret"
SA_ANNOTATION = "kubernetes.io/service-account.name"
_ADVICE = "the token never expires; use a TokenRequest or projected token"


def _account_of(secret: Resource) -> str | None:
    """The service account the token controller fills this Secret for (its annotation)."""
    account = secret.annotations.get(SA_ANNOTATION)
    return account if isinstance(account, str) and account else None


def _carried(secret: Resource) -> str:
    """Where the Secret holds a token value: then it is a credential committed with the
    manifest, not only a request for the token controller to fill it."""
    for field in ("data", "stringData"):
        value = secret.get((field, "token"))
        if isinstance(value, str) and value.strip():
            return f" carries a token value in {field}.token: a committed credential (TL011 reports the token);"
    return ":"


def _owner(account: str | None) -> str:
    return f"service account {account}" if account else "no service account (annotation missing)"


class Rule(BundleRule):
    """Legacy token Secrets hold a token that never expires and outlives the pod."""

    meta = RuleMeta(
        id="TL002",
        name=NAME,
        severity=Severity.HIGH,
        summary="Secret of type kubernetes.io/service-account-token: a token that never expires",
        help_path=page_beside(__file__, NAME),
        fix_advice=(
            "no deletion: first move every workload that reads this token to a projected serviceAccountToken "
            "volume (a short expirationSeconds), then delete the Secret; deleting it first breaks them"
        ),
    )

    def admission(self, options: Mapping[str, Any]) -> Exported:
        return (
            AdmissionCheck(
                kinds=("Secret",),
                validations=(
                    Validation(
                        f"!has(object.type) || object.type != {cel_string(SA_TOKEN_SECRET_TYPE)}",
                        f"legacy token Secret (type {SA_TOKEN_SECRET_TYPE}): {_ADVICE}",
                    ),
                ),
                covers=f"Secrets of type {SA_TOKEN_SECRET_TYPE}",
                # A Secret's type cannot change, and Kubernetes' legacy token cleaner
                # labels existing token Secrets: only their creation is decided.
                operations=("CREATE",),
                limits=(
                    "a ServiceAccount's secrets entry naming a token Secret is reported by the linter only with the "
                    "Secret in the input; admission checks the Secret itself",
                ),
            ),
        )

    def check(self, index: BundleIndex, ctx: Context) -> None:
        secrets = {(s.namespace, s.name): s for s in index.token_secrets}
        reach = reach_of(index)

        def worth(namespace: str | None, account: str | None) -> str:
            """What the token is worth: the reach of its account, in the Secret's namespace."""
            if not account or not namespace:
                return ""
            return f"; the token {reach.of_account((namespace, account)).describe()}"

        for secret in index.token_secrets:
            account = _account_of(secret)
            owner = index.service_account(secret.namespace, account) if account else None
            related = [ctx.related(owner, ("metadata", "name"), f"service account {account}")] if owner else []
            message = f"legacy token Secret for {_owner(account)}{_carried(secret)} {_ADVICE}"
            message += worth(secret.namespace, account)
            ctx.report(secret, ("type",), message, related=related)
        for sa in index.service_accounts.values():
            listed = sa.body.get("secrets")
            if not isinstance(listed, list):
                continue
            # ServiceAccount.secrets names Secrets in the ServiceAccount's own namespace.
            for i, entry in enumerate(listed):
                name = entry.get("name") if isinstance(entry, dict) else None
                token = secrets.get((sa.namespace, name)) if isinstance(name, str) else None
                if token is None:
                    continue
                ctx.report(
                    sa,
                    ("secrets", i),
                    f"legacy token Secret for {_owner(sa.name)} ({name}, listed in its secrets): {_ADVICE}"
                    f"{worth(sa.namespace, sa.name)}",
                    related=[ctx.related(token, ("type",), f"token Secret {name}")],
                )
