"""TL006 long-lived-projected-token: a projected service account token that lives too long."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenlint.admission import AdmissionCheck, Exported, Validation
from tokenlint.k8s.workloads import WORKLOAD_KINDS, pod_spec_cel, workload_of
from tokenlint.model import Fix, Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta, page_beside

NAME = "long-lived-projected-token"
OPTION = "max-expiration-seconds"
EXPIRATION = "expirationSeconds"
DAY = 86400
MIN_EXPIRATION = 600
"""The API server rejects a projected token that expires in less than ten minutes."""
_AUTOMATIC_TOKEN_SECONDS = 3607
"""The lifetime of the token the ServiceAccount admission plugin mounts (``kube-api-access-*``)."""


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

    def admission(self, options: Mapping[str, Any]) -> Exported:
        limit = int(options[OPTION])
        token = "s.serviceAccountToken"
        seconds = f"{token}.{EXPIRATION}"
        source_ok = f"!has({token}) || !has({seconds}) || {seconds} <= {limit}"
        volume_ok = f"!has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, {source_ok})"
        limits: tuple[str, ...] = ()
        if limit < _AUTOMATIC_TOKEN_SECONDS:
            limits = (
                f"a pod whose token is mounted automatically carries a kube-api-access volume whose projected token "
                f"has expirationSeconds {_AUTOMATIC_TOKEN_SECONDS} (added at admission), above this limit: such pods "
                "are denied too",
            )
        return (
            AdmissionCheck(
                kinds=WORKLOAD_KINDS,
                variables=(("podSpec", pod_spec_cel()),),
                validations=(
                    Validation(
                        f"!has(variables.podSpec.volumes) || variables.podSpec.volumes.all(v, {volume_ok})",
                        f"a projected service account token lives longer than {_duration(limit)} "
                        f"(expirationSeconds above {limit}): a stolen copy stays valid that long; lower "
                        "expirationSeconds",
                    ),
                ),
                covers=f"pod specs with a projected serviceAccountToken whose expirationSeconds is above {limit}",
                limits=limits,
            ),
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
