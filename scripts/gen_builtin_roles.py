"""Write tokenlint/data/kubernetes-roles.json from a Kubernetes RBAC bootstrap-policy folder.

The folder holds the golden files of ``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata``
in the Kubernetes source tree (``cluster-roles.yaml``, ``controller-roles.yaml``,
``namespace-roles.yaml`` and the three ``*-role-bindings.yaml``): what an API server
creates and reconciles at start-up. The package ships their roles and bindings, reduced to
the fields RBAC evaluates, with the Kubernetes version they describe, so that a binding to
``system:auth-delegator`` or ``system:controller:*`` resolves like any role of the input.

Usage: python scripts/gen_builtin_roles.py BOOTSTRAP_DIR --kubernetes VERSION --source TEXT [--check]

``--kubernetes`` is the version the data describes (said in ``tokenlint --version`` and in
docs); ``--source`` says where the files came from (repository and commit). ``--check``
fails when the shipped data differs from what the folder gives.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tokenlint.yaml.reader import parse_stream

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tokenlint" / "data" / "kubernetes-roles.json"
FILES = (
    "cluster-roles.yaml",
    "controller-roles.yaml",
    "namespace-roles.yaml",
    "cluster-role-bindings.yaml",
    "controller-role-bindings.yaml",
    "namespace-role-bindings.yaml",
)
RULE_FIELDS = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")


def _plain(value: Any) -> Any:
    """Positioned data as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _rules(body: dict[str, Any]) -> list[dict[str, list[str]]]:
    return [{f: list(rule[f]) for f in RULE_FIELDS if rule.get(f)} for rule in body.get("rules") or []]


def _object(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    kind = body["kind"]
    entry: dict[str, Any] = {"kind": kind, "name": meta["name"]}
    if meta.get("namespace"):
        entry["namespace"] = meta["namespace"]
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != "kubernetes.io/bootstrapping"}
    if labels:
        entry["labels"] = _plain(labels)
    if kind in ("Role", "ClusterRole"):
        if body.get("aggregationRule") is not None:
            entry["aggregationRule"] = _plain(body["aggregationRule"])
        entry["rules"] = _rules(body)
    else:
        entry["roleRef"] = {k: body["roleRef"][k] for k in ("kind", "name")}
        entry["subjects"] = [_plain(s) for s in body.get("subjects") or []]
    return entry


def build(folder: Path, kubernetes: str, source: str) -> dict[str, Any]:
    """The data file's content: every object of the folder's Lists, in file order."""
    objects: list[dict[str, Any]] = []
    for name in FILES:
        documents, errors = parse_stream((folder / name).read_bytes())
        if errors:
            raise SystemExit(f"{folder / name}:{errors[0].line}: {errors[0].message}")
        for document in documents:
            items = document.data.get("items") if isinstance(document.data, dict) else None
            objects.extend(_object(item) for item in items or ())
    return {"kubernetes": kubernetes, "source": source, "objects": objects}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kubernetes", required=True, help="the Kubernetes version the folder describes")
    parser.add_argument("--source", required=True, help="where the files come from (repository, commit)")
    parser.add_argument("--check", action="store_true", help="fail when the shipped data is stale")
    args = parser.parse_args(argv)
    text = json.dumps(build(args.folder, args.kubernetes, args.source), indent=1, sort_keys=False) + "\n"
    if args.check:
        if DATA.read_text(encoding="utf-8") != text:
            print(f"{DATA.relative_to(ROOT)} is stale: run scripts/gen_builtin_roles.py", file=sys.stderr)
            return 1
        return 0
    DATA.write_text(text, encoding="utf-8")
    print(f"{DATA.relative_to(ROOT)}: {len(json.loads(text)['objects'])} objects, Kubernetes {args.kubernetes}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
