"""A stand-in for the `helm` binary: implements `helm template` with the Helm SDK.

It prints what `helm template` prints: each document under `---` and `# Source:`,
sorted by kind in Helm's install order, so the binary path of tokenlint.inputs.helm.render is tested
against the same output shape a real binary gives (documents of one template may be
scattered). Errors go to stderr as "Error: ..." with exit status 1.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import helm_python as helm
from helm_python import _native

INSTALL_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "Deployment",
]


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "template":
        print("Error: only `helm template` is implemented", file=sys.stderr)
        return 1
    args = argv[1:]
    positional: list[str] = []
    values: dict[str, Any] = {}
    opts: dict[str, Any] = {"is_install": True}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--values", "-f"):
            with open(args[i + 1], encoding="utf-8") as handle:
                values = merge(values, helm.values_from_yaml(handle.read()) or {})
            i += 2
        elif arg == "--set":
            values = merge(values, helm.parse_set_string(args[i + 1]))
            i += 2
        elif arg in ("--namespace", "-n"):
            opts["namespace"] = args[i + 1]
            i += 2
        elif arg == "--kube-version":
            opts["kube_version"] = args[i + 1]
            i += 2
        else:
            positional.append(arg)
            i += 1
    name, chart_path = positional if len(positional) == 2 else ("release-name", positional[0])
    opts["name"] = name
    try:
        with helm.Chart.load(chart_path) as chart:
            rendered = json.loads(
                _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts))
            )
    except helm.HelmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    docs: list[tuple[int, str, str]] = []
    for source in sorted(rendered):
        if source.endswith("NOTES.txt"):
            continue
        for raw in re.split(r"(?m)^---\s*$", rendered[source]):
            doc = raw.strip()
            if not doc:
                continue
            m = re.search(r"(?m)^kind:\s*(\S+)", doc)
            kind = m.group(1) if m else ""
            order = INSTALL_ORDER.index(kind) if kind in INSTALL_ORDER else len(INSTALL_ORDER)
            docs.append((order, source, doc))
    docs.sort(key=lambda d: d[0])  # stable, like Helm's sort
    for _, source, doc in docs:
        sys.stdout.write(f"---\n# Source: {source}\n{doc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
