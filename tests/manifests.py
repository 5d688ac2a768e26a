"""Manifests that several test modules lint, written once.

Each is the plainest resource for its purpose; a test that needs a variant keeps the variant
beside itself. Tests assert lines and names in these, so a change here is a change to them all.
"""

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: safe
"""
"""A resource no rule reports."""

LEGACY_TOKEN_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: old-token
type: kubernetes.io/service-account-token
"""
"""TL002 on line 5: a token Secret, here for no particular service account."""

WILDCARD_CLUSTER_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["*"]
"""
"""TL003 on line 8, its last line: ``*`` in the verbs of ClusterRole ops."""

API_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      serviceAccountName: api
      containers:
        - name: api
          image: registry.example/api:1.0
"""
"""Deployment shop/api, run as service account shop/api; each test brings the account it needs."""

HOSTILE = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: "<script>alert(1)</script>"
  namespace: '"><img src=x onerror=alert(2)>'
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "<script>alert(3)</script>"
  namespace: '"><img src=x onerror=alert(2)>'
spec:
  template:
    spec:
      serviceAccountName: "<script>alert(1)</script>"
      containers: [{name: "</td><b>x</b>", image: nginx}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "<svg onload=alert(4)>"
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - kind: ServiceAccount
    name: "<script>alert(1)</script>"
    namespace: '"><img src=x onerror=alert(2)>'
"""
"""A Deployment, its ServiceAccount and a cluster-admin binding whose names are markup: Kubernetes
would refuse them, tokenlint reads them anyway, and a report must show them as text."""
