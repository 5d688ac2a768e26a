"""TL002 legacy-token-secret: a Secret of type ``kubernetes.io/service-account-token``."""

from __future__ import annotations

from tokenlint.index import SA_TOKEN_SECRET_TYPE
from tokenlint.model import Severity
from tokenlint.resources import Resource
from tokenlint.rule import Context, ResourceRule, RuleMeta, page_beside

NAME = "legacy-token-secret"
SA_ANNOTATION = "kubernetes.io/service-account.name"


class Rule(ResourceRule):
    """Legacy token Secrets hold a token that never expires and outlives the pod."""

    meta = RuleMeta(
        id="TL002",
        name=NAME,
        severity=Severity.HIGH,
        summary="Secret of type kubernetes.io/service-account-token: a token that never expires",
        help_path=page_beside(__file__, NAME),
    )
    kinds = frozenset({"Secret"})

    def check(self, resource: Resource, ctx: Context) -> None:
        if resource.body.get("type") != SA_TOKEN_SECRET_TYPE:
            return
        account = resource.annotations.get(SA_ANNOTATION)
        owner = f"service account {account!s}" if account else "no service account (annotation missing)"
        ctx.report(
            resource,
            ("type",),
            f"legacy token Secret for {owner}: the token never expires; use a TokenRequest or projected token",
        )
