"""Which service account a pod runs as, and whether its token is mounted into the pod.

Kubernetes decides both at admission (the ServiceAccount admission plugin):

- the account is ``serviceAccountName``, else the deprecated ``serviceAccount`` (the API
  server copies one into the other), else ``default``;
- the token is mounted unless ``automountServiceAccountToken`` says ``false``: the pod
  spec's value wins over the ServiceAccount's, and a ServiceAccount that is not in the
  input is assumed to have the default, which is to mount.

Besides that automatic mount, a pod can ask for a token explicitly with a projected
``serviceAccountToken`` volume source; that token belongs to the same account.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tokenlint.admission import cel_string
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.workloads import Workload
from tokenlint.model import FieldPath
from tokenlint.resources.resource import Resource

DEFAULT_ACCOUNT = "default"
DEFAULT_NAMESPACE = "default"
AUTOMOUNT = "automountServiceAccountToken"

AccountKey = tuple[str, str]
"""(namespace, name) of a service account."""


class TokenSource(enum.Enum):
    """What decided that the token is (or is not) mounted."""

    POD = "the pod spec"
    SERVICE_ACCOUNT = "the ServiceAccount"
    DEFAULT = "the Kubernetes default"


@dataclass(frozen=True)
class TokenMount:
    """The outcome of the automount decision for one workload's pods.

    ``field`` is the path, in the workload, of the field a reader should look at: the pod
    spec's ``automountServiceAccountToken`` when it decided, else the field naming the
    account, else the pod spec itself. ``account`` is the ServiceAccount object when the
    input holds it.
    """

    mounted: bool
    source: TokenSource
    namespace: str
    name: str
    field: FieldPath
    account: Resource | None

    @property
    def key(self) -> AccountKey:
        return (self.namespace, self.name)

    def explain(self) -> str:
        """Where the decision comes from, in the words a user needs to change it."""
        who = f"ServiceAccount {self.namespace}/{self.name}"
        value = "true" if self.mounted else "false"
        if self.source is TokenSource.POD:
            return f"the pod spec sets {AUTOMOUNT}: {value}"
        if self.source is TokenSource.SERVICE_ACCOUNT:
            return f"{who} sets {AUTOMOUNT}: {value}"
        if self.account is not None:
            return f"{who} does not set {AUTOMOUNT}, and Kubernetes mounts by default"
        return f"{who} is not in the input, and Kubernetes mounts by default"


_ACCOUNT_FIELDS = ("serviceAccountName", "serviceAccount")
"""The pod spec fields that name the service account, the first set (non-empty) wins."""


def _named(spec: dict[str, Any]) -> tuple[str, str] | None:
    """The pod spec field naming the service account and its value, if one is set (non-empty)."""
    for key in _ACCOUNT_FIELDS:
        value = spec.get(key)
        if isinstance(value, str) and value:
            return key, value
    return None


def _key(workload: Workload, named: tuple[str, str] | None) -> AccountKey:
    # Workload kinds are namespaced; the resource layer already applied the default.
    return (workload.resource.namespace or DEFAULT_NAMESPACE, named[1] if named else DEFAULT_ACCOUNT)


def account_name_cel(spec: str) -> str:
    """CEL for the name of the service account the pods of pod spec ``spec`` run as (as :func:`account_of`)."""
    expression = f"'{DEFAULT_ACCOUNT}'"
    for key in reversed(_ACCOUNT_FIELDS):
        expression = f"(has({spec}.{key}) && {spec}.{key} != '' ? {spec}.{key} : {expression})"
    return expression


def automount_off_cel(holder: str) -> str:
    """CEL: the pod spec or ServiceAccount at ``holder`` sets ``automountServiceAccountToken: false``."""
    return f"has({holder}.{AUTOMOUNT}) && {holder}.{AUTOMOUNT} == false"


def account_field(workload: Workload) -> FieldPath | None:
    """The pod spec field that names the service account, if any (non-empty) is set."""
    named = _named(workload.spec)
    return workload.path(named[0]) if named else None


def account_of(workload: Workload) -> AccountKey:
    """(namespace, name) of the service account the workload's pods run as."""
    return _key(workload, _named(workload.spec))


def token_mount(workload: Workload, index: BundleIndex) -> TokenMount:
    """Decide whether the workload's pods get their account's token mounted automatically."""
    spec = workload.spec
    named = _named(spec)
    namespace, name = _key(workload, named)
    account = index.service_account(namespace, name)
    pod_value = spec.get(AUTOMOUNT)
    anchor = workload.path(named[0]) if named else workload.spec_path
    if isinstance(pod_value, bool):
        return TokenMount(pod_value, TokenSource.POD, namespace, name, workload.path(AUTOMOUNT), account)
    sa_value = account.body.get(AUTOMOUNT) if account is not None else None
    if isinstance(sa_value, bool):
        return TokenMount(sa_value, TokenSource.SERVICE_ACCOUNT, namespace, name, anchor, account)
    return TokenMount(True, TokenSource.DEFAULT, namespace, name, anchor, account)


def projected_tokens(workload: Workload) -> Iterator[FieldPath]:
    """Paths of the explicit projected ``serviceAccountToken`` sources in the pod's volumes.

    These give the pod a token of its account whatever ``automountServiceAccountToken``
    says: the automount switch only controls the volume Kubernetes adds by itself.
    """
    volumes = workload.spec.get("volumes")
    if not isinstance(volumes, list):
        return
    for v, volume in enumerate(volumes):
        projected = volume.get("projected") if isinstance(volume, dict) else None
        sources = projected.get("sources") if isinstance(projected, dict) else None
        if not isinstance(sources, list):
            continue
        for s, source in enumerate(sources):
            if isinstance(source, dict) and isinstance(source.get("serviceAccountToken"), dict):
                yield workload.path("volumes", v, "projected", "sources", s, "serviceAccountToken")


API_AUDIENCE_PREFIX = "https://kubernetes.default.svc"
"""The audience most clusters give the API server (its ``--api-audiences`` default to the
service account issuer, which kubeadm, EKS, AKS and kind set to this URL or below it)."""


def api_token_cel(spec: str) -> str:
    """CEL: the pod spec at ``spec`` requests a projected token the API server accepts (as :func:`api_tokens`)."""
    token = "s.serviceAccountToken"
    audience = f"{token}.audience"
    accepted = f"!has({audience}) || {audience} == '' || {audience}.startsWith({cel_string(API_AUDIENCE_PREFIX)})"
    sources = (
        f"has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has({token}) && ({accepted}))"
    )
    return f"has({spec}.volumes) && {spec}.volumes.exists(v, {sources})"


def api_tokens(workload: Workload) -> Iterator[FieldPath]:
    """The projected ``serviceAccountToken`` sources whose token the API server accepts.

    With no ``audience`` the kubelet requests the token for the API server's own audiences
    (``pkg/kubelet/token``, TokenRequest with empty audiences), so it is an API credential
    like the automounted one. A token for another audience (a vault, a service mesh) is
    rejected by the API server's authenticator (audience mismatch) and is not one.
    """
    for path in projected_tokens(workload):
        source = workload.resource.get(path)
        audience = source.get("audience") if isinstance(source, dict) else None
        if not audience or (isinstance(audience, str) and audience.startswith(API_AUDIENCE_PREFIX)):
            yield path
