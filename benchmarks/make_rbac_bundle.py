#!/usr/bin/env python3
"""Write a deterministic RBAC-heavy bundle, and a twin of the same size without RBAC.

The RBAC bundle holds N service accounts, N bindings (RoleBindings to Roles, RoleBindings
to ClusterRoles and built-in roles, ClusterRoleBindings, and subjects of every form:
ServiceAccount, the system:serviceaccount User, the namespace and all-accounts groups),
Roles and ClusterRoles (some aggregated) and 2N workloads running as those accounts.
The twin replaces every ServiceAccount, role and binding with a ConfigMap of similar size
and keeps the same workloads, so that the two differ only in what reach has to compute.

usage: make_rbac_bundle.py OUT_DIR [--accounts 5000]

Then compare, for example:

    tokenlint lint --no-cache OUT_DIR/plain                       # a bundle without RBAC
    tokenlint lint --no-cache --ignore TL001,TL1,TL201 OUT_DIR/rbac  # RBAC, reach not computed
    tokenlint lint --no-cache OUT_DIR/rbac                        # RBAC, every rule
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

NAMESPACES = 50
PER_FILE = 200
RULES = (
    ('[""]', '["configmaps"]', '["get", "list"]'),
    ('[""]', '["secrets"]', '["get"]'),
    ('["apps"]', '["deployments"]', '["create", "patch"]'),
    ('[""]', '["pods/exec"]', '["create"]'),
    ('[""]', '["services"]', '["get", "list", "watch"]'),
)


def namespace(i: int) -> str:
    return f"team-{i % NAMESPACES:02d}"


def service_account(i: int) -> str:
    return f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-{i}
  namespace: {namespace(i)}
"""


def role(i: int, kind: str) -> str:
    where = f"\n  namespace: {namespace(i)}" if kind == "Role" else ""
    labels = f'\n  labels:\n    example.com/aggregate-to-ops: "{"true" if i % 10 == 0 else "false"}"' * (kind != "Role")
    rules = "".join(
        f"  - apiGroups: {g}\n    resources: {r}\n    verbs: {v}\n"
        for g, r, v in (RULES[(i + k) % len(RULES)] for k in range(2))
    )
    head = f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {kind.lower()}-{i}"
    return f"{head}{where}{labels}\nrules:\n{rules}"


AGGREGATED = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops
aggregationRule:
  clusterRoleSelectors:
    - matchLabels:
        example.com/aggregate-to-ops: "true"
"""


def subject(i: int) -> str:
    form = i % 10
    if form == 7:
        return f"  - kind: User\n    name: system:serviceaccount:{namespace(i)}:sa-{i}\n"
    if form == 8:
        return f"  - kind: Group\n    name: system:serviceaccounts:{namespace(i)}\n"
    return f"  - kind: ServiceAccount\n    name: sa-{i}\n    namespace: {namespace(i)}\n"


def binding(i: int, roles: int, cluster_roles: int) -> str:
    shape = i % 20
    if shape == 0:
        kind, ref_kind, ref = "ClusterRoleBinding", "ClusterRole", f"clusterrole-{i % cluster_roles}"
    elif shape == 1:
        kind, ref_kind, ref = "ClusterRoleBinding", "ClusterRole", "ops"
    elif shape in (2, 3):
        kind, ref_kind, ref = "RoleBinding", "ClusterRole", ("edit", "view")[shape - 2]
    elif shape < 8:
        kind, ref_kind, ref = "RoleBinding", "ClusterRole", f"clusterrole-{i % cluster_roles}"
    else:
        kind, ref_kind, ref = (
            "RoleBinding",
            "Role",
            f"role-{(i // NAMESPACES) % (roles // NAMESPACES) * NAMESPACES + i % NAMESPACES}",
        )
    where = f"\n  namespace: {namespace(i)}" if kind == "RoleBinding" else ""
    return (
        f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: binding-{i}{where}\n"
        f"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {ref_kind}\n  name: {ref}\n"
        f"subjects:\n{subject(i)}"
    )


def workload(i: int, accounts: int) -> str:
    account = i % accounts
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: {namespace(account)}
spec:
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      serviceAccountName: sa-{account}
      containers:
        - name: app
          image: registry.example.com/app:{i % 7}
"""


def config_map(i: int, lines: int) -> str:
    data = "".join(f"  key-{k}: value-{i}-{k}\n" for k in range(lines))
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {namespace(i)}\ndata:\n{data}"


def write(folder: Path, prefix: str, documents: Iterator[str]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    batch: list[str] = []
    files = count = 0
    for document in documents:
        batch.append(document)
        count += 1
        if len(batch) == PER_FILE:
            (folder / f"{prefix}-{files:04d}.yaml").write_text("---\n".join(batch), encoding="utf-8")
            files, batch = files + 1, []
    if batch:
        (folder / f"{prefix}-{files:04d}.yaml").write_text("---\n".join(batch), encoding="utf-8")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--accounts", type=int, default=5000)
    args = parser.parse_args()
    n: int = args.accounts
    roles, cluster_roles = max(NAMESPACES, n // 5), max(10, n // 25)

    def rbac() -> Iterator[str]:
        yield from (service_account(i) for i in range(n))
        yield from (role(i, "Role") for i in range(roles))
        yield from (role(i, "ClusterRole") for i in range(cluster_roles))
        yield AGGREGATED
        yield from (binding(i, roles, cluster_roles) for i in range(n))

    rbac_docs = write(args.out / "rbac", "rbac", rbac())
    plain_docs = write(args.out / "plain", "config", (config_map(i, 6) for i in range(rbac_docs)))
    for folder in ("rbac", "plain"):
        write(args.out / folder, "workloads", (workload(i, n) for i in range(2 * n)))
    print(f"{args.out}/rbac: {rbac_docs} RBAC documents + {2 * n} workloads")
    print(f"{args.out}/plain: {plain_docs} ConfigMaps + {2 * n} workloads")


if __name__ == "__main__":
    main()
