"""Renderers of the ``tokenlint who-can`` view: text and JSON, pure functions of the view."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tokenlint.report.json import error_json, location_json
from tokenlint.report.paths import at, carrier_json
from tokenlint.report.whocanview import Holder, Via, WhoCanView


def _via_text(v: Via) -> str:
    names = f" (only resourceNames {', '.join(v.names)})" if v.names else ""
    own = " [Kubernetes' own]" if v.own else ""
    return f"    {v.binding} -> {v.role} {v.rule}, {v.where}{names}{own} ({at(v.location)})"


def format_text(view: WhoCanView) -> str:
    out = [f"{e.path}:{e.line or 0}: error {e.message}" for e in view.errors]
    out.append(f"who can {view.request.display()}:")
    out.append("")
    for holder in view.holders:
        out.append(holder.display())
        out.append("  through:")
        out.extend(_via_text(v) for v in holder.via)
        if holder.kind == "ServiceAccount" or holder.carriers:
            out.append("  tokens carried by: " + ("no workload of the input" if not holder.carriers else ""))
            out.extend(f"    {c.display()} ({c.how}, {at(c.location)})" for c in holder.carriers)
        out.append("")
    workloads = {c for h in view.holders for c in h.carriers}
    count = len(view.holders)
    out.append(
        f"{count} subject{'' if count == 1 else 's'}; "
        f"{len(workloads)} {'workload carries' if len(workloads) == 1 else 'workloads carry'} their tokens"
    )
    return "\n".join(line.rstrip() for line in out) + "\n"


def _holder_json(h: Holder) -> dict[str, Any]:
    return {
        "kind": h.kind,
        "namespace": h.namespace,
        "name": h.name,
        "through": [
            {
                "binding": v.binding,
                "role": v.role,
                "rule": v.rule,
                "scope": v.scope,
                "resourceNames": list(v.names),
                "kubernetesOwn": v.own,
                "location": location_json(v.location),
            }
            for v in h.via
        ],
        "workloads": [carrier_json(c) for c in h.carriers],
    }


def format_json(view: WhoCanView) -> str:
    r = view.request
    payload = {
        "version": 1,
        "request": {
            "verb": r.verb,
            "group": r.group,
            "resource": r.resource,
            "namespace": r.namespace,
            "clusterScoped": r.cluster_scoped,
        },
        "subjects": [_holder_json(h) for h in view.holders],
        "errors": [error_json(e) for e in view.errors],
    }
    return json.dumps(payload, indent=2) + "\n"


WHO_CAN_FORMATTERS: dict[str, Callable[[WhoCanView], str]] = {"text": format_text, "json": format_json}
