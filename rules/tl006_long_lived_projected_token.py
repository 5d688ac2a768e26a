"""TL006 long-lived-projected-token: a projected service account token that lives too long."""

from __future__ import annotations

from tokenlint.k8s.workloads import workload_of
from tokenlint.model import Fix, Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta, page_beside

NAME = "long-lived-projected-token"
OPTION = "max-expiration-seconds"
EXPIRATION = "expirationSeconds"
DAY = 86400
MIN_EXPIRATION = 600
"""The API server rejects a projected token that expires in less than ten minutes."""


def _duration(seconds: int) -> str:
    for unit, size in (("day", DAY), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


class Rule(ResourceRule):
    """A projected token is meant to be short-lived; a long expiry makes a stolen one last."""

    meta = RuleMeta(
        id="TL006",
        name=NAME,
        severity=Severity.MEDIUM,
        summary="projected serviceAccountToken volume with expirationSeconds above the limit (default one day)",
        help_path=page_beside(__file__, NAME),
        options={
            OPTION: {
                "type": "integer",
                "minimum": MIN_EXPIRATION,
                "default": DAY,
                "description": "Longest accepted expirationSeconds of a projected service account token.",
            }
        },
    )

    def check(self, resource: Resource, ctx: Context) -> None:
        workload = workload_of(resource)
        if workload is None:
            return
        limit = int(ctx.options[OPTION])
        volumes = workload.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            projected = volume.get("projected") if isinstance(volume, dict) else None
            sources = projected.get("sources") if isinstance(projected, dict) else None
            for j, source in enumerate(sources if isinstance(sources, list) else ()):
                token = source.get("serviceAccountToken") if isinstance(source, dict) else None
                # Unset expirationSeconds means one hour (the API default), which passes.
                seconds = token.get("expirationSeconds") if isinstance(token, dict) else None
                if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= limit:
                    continue
                path = workload.path(
                    "volumes", i, "projected", "sources", j, "serviceAccountToken", "expirationSeconds"
                )
                ctx.report(
                    resource,
                    path,
                    f"projected token in volume {volume.get('name', i)!s} lives {_duration(seconds)} "
                    f"(expirationSeconds {seconds}), above the limit of {_duration(limit)}: a stolen copy stays "
                    "valid that long; lower expirationSeconds (the kubelet refreshes the token before it expires)",
                    fix=Fix(f"lower expirationSeconds to {limit}", (ctx.set_field(resource, path, limit),)),
                )
