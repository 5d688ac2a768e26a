"""Frozen value types shared by every stage of the pipeline.

They are plain data so that each stage (parsing, rules, suppression, reporters) can be
tested on its own and nothing flows backwards: a reporter receives these and nothing else.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from typing import Any, Union

FieldPath = tuple[Union[str, int], ...]
"""A path into a resource body, e.g. ``("spec", "template", "spec", "containers", 0)``."""


def dotted(path: FieldPath) -> str:
    """A field path as users write it: ``spec.containers[0].name`` (``document`` when empty)."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "document"


class Severity(enum.IntEnum):
    """Ordered so that ``--fail-on`` is a plain comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


@dataclass(frozen=True)
class Location:
    """A place a user can open: a file path (relative when below the working directory),
    1-based line and column, and the end of the highlighted region.

    ``note`` explains an approximate location (for example a Helm template line that could
    not be resolved exactly); ``rendered_line`` keeps the line in Helm's rendered output
    for debugging only, it is never shown as the location.
    """

    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    note: str | None = None
    rendered_line: int | None = None


@dataclass(frozen=True)
class ResourceRef:
    """The identity of a Kubernetes object; ``namespace`` is None for cluster-scoped kinds."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    def display(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Related:
    """A secondary location attached to a finding, e.g. one link of an escalation chain."""

    message: str
    location: Location
    resource: ResourceRef | None = None
    label: str | None = None
    """The step's short name where a picture has no room for the message (the HTML report's
    graph); None means the resource's own name says it."""


@dataclass(frozen=True)
class Suppression:
    """Why a finding is not counted: where the suppression was written and its reason."""

    kind: str  # "annotation", "comment", "config" (trusted service account) or "baseline"
    justification: str
    location: Location | None = None


@dataclass(frozen=True)
class SetField:
    """Set one scalar field of a resource, adding the key when it is absent.

    ``file`` is the plain manifest that holds the resource; None when the resource was
    rendered (a Helm chart) or read from standard input, which ``tokenlint fix`` never
    edits: it prints the field and value to set instead.
    """

    resource: ResourceRef
    file: str | None
    path: FieldPath
    value: bool | int | str


@dataclass(frozen=True)
class AddResource:
    """Write a new manifest holding ``body``, one file per ``key`` whatever many findings ask.

    ``near`` is a plain file whose folder receives the new file unless the user names one;
    ``comment`` heads the file and says why it exists.
    """

    key: str
    body: dict[str, Any] = field(compare=False, hash=False)
    comment: str
    near: str | None


@dataclass(frozen=True)
class Fix:
    """What would close a finding: ``changes`` to make, or none and ``summary`` says why not.

    Rules propose; only ``tokenlint fix`` (and SARIF's suggested changes) turn a proposal
    into edits, after checking that the edit changes nothing but the lines it must.
    """

    summary: str
    changes: tuple[SetField | AddResource, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One problem at one place.

    ``field_path`` is the path inside the resource that the rule pointed at; together with
    the rule and the resource identity it makes a fingerprint that survives line moves.
    ``chain`` marks ``related`` as an ordered flow (an escalation path) rather than a
    loose set of related places.
    """

    rule: str
    name: str
    severity: Severity
    message: str
    resource: ResourceRef
    location: Location
    field_path: FieldPath = ()
    related: tuple[Related, ...] = ()
    chain: bool = False
    scenarios: tuple[str, ...] = ()
    suppression: Suppression | None = None
    properties: tuple[tuple[str, str], ...] = field(default=())
    fix: Fix | None = field(default=None, compare=False)

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    def fingerprint(self) -> str:
        """Stable identity: rule + resource identity + field path, never a line number."""
        return self._fingerprint

    @functools.cached_property
    def _fingerprint(self) -> str:
        # Computed once: merging, suppression, baselines and every reporter ask for it.
        r = self.resource
        path = ".".join(str(p) for p in self.field_path)
        return f"{self.rule}|{r.api_version}|{r.kind}|{r.namespace or ''}|{r.name}|{path}"


@dataclass(frozen=True)
class InputError:
    """Input that could not be read or understood; makes the run exit with status 2."""

    path: str
    line: int | None
    column: int | None
    message: str


class CredentialKind(enum.Enum):
    """What a credential found in a value is, as far as reading it (never using it) can tell."""

    SERVICE_ACCOUNT_TOKEN = "service account token"
    JWT = "JSON Web Token"
    CLIENT_KEY = "client key"
    STATIC_TOKEN = "bearer token"
    PASSWORD = "password"
    AUTH_PROVIDER = "auth-provider secret"


@dataclass(frozen=True)
class Credential:
    """A credential found at ``path`` of a resource, described without the secret itself.

    The secret never leaves the stage that finds it: the value in the body is replaced by
    a placeholder and this record keeps only a fingerprint (the first characters of the
    secret's SHA-256) and the claims that identify it. ``carrier`` says how the value holds
    it (``base64``, ``kubeconfig user admin``...), empty when the value is the token itself.
    ``expires`` and ``issued`` are Unix times from the token's ``exp`` and ``iat`` claims.
    """

    path: FieldPath
    kind: CredentialKind
    fingerprint: str
    carrier: str = ""
    namespace: str | None = None
    account: str | None = None
    legacy: bool = False
    secret: str | None = None
    pod: str | None = None
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    issued: int | None = None
    expires: int | None = None
    user: str | None = None


@dataclass(frozen=True)
class Notice:
    """Something the run did not lint and says so (a GitOps source it does not fetch);
    informational: it never changes the exit status."""

    path: str
    line: int | None
    column: int | None
    message: str
