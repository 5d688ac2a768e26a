"""The rule interface: what a rule declares and the one way it reports.

Rules never parse, never read files, never compute positions and never print: they look
at resources (or the bundle index) and call :meth:`Context.report` with a field path.
The engine turns that path into a location, so every rule gets Helm template lines,
suppressions and fingerprints for free.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tokenlint.admission import CROSS_RESOURCE, Exported, NotExportable
from tokenlint.k8s.index import BundleIndex
from tokenlint.model import FieldPath, Finding, Fix, Related, SetField, Severity
from tokenlint.resources.resource import FileOrigin, Resource
from tokenlint.yaml.reader import Pos

RULE_ID = re.compile(r"^[A-Z]{2,5}[0-9]{3,4}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class RuleMeta:
    """What a rule declares about itself; shown by ``tokenlint rules`` and in SARIF.

    ``options`` maps each option name to a JSON Schema fragment that carries a
    ``default``. ``help_path`` is the rule's Markdown page, read only when asked for.
    ``fix_advice`` is what ``tokenlint fix`` tells a person for a finding that carries no
    fix of its own: why no change is automatic and what to do instead.
    """

    id: str
    name: str
    severity: Severity
    summary: str
    help_path: Path | None = None
    help_text: str = ""
    tags: tuple[str, ...] = ("security", "kubernetes")
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fix_advice: str = ""

    @property
    def help(self) -> str:
        if self.help_text:
            return self.help_text
        if self.help_path is not None:
            return self.help_path.read_text(encoding="utf-8")
        return self.summary

    def defaults(self) -> dict[str, Any]:
        return {name: schema.get("default") for name, schema in self.options.items()}


def page_beside(module_file: str, name: str) -> Path:
    """The Markdown page that sits next to a rule's module, named after the rule."""
    return Path(module_file).with_name(f"{name}.md")


class Context:
    """What a rule may use while it runs: its options and the report function."""

    def __init__(self, meta: RuleMeta, options: Mapping[str, Any], sink: Callable[[Finding], None]) -> None:
        self.meta = meta
        self.options = options
        self._sink = sink

    def related(self, resource: Resource, path: FieldPath, message: str, label: str | None = None) -> Related:
        """A secondary location on another resource, e.g. the binding of a chain; ``label`` is
        the step's short name when the resource's own name does not say what the step is."""
        return Related(message, resource.locate(path), resource.ref, label)

    def set_field(self, resource: Resource, path: FieldPath, value: bool | int | str) -> SetField:
        """A proposed change of one field of ``resource``, editable only in a plain file."""
        return SetField(resource.ref, plain_file(resource), path, value)

    def report(
        self,
        resource: Resource,
        path: FieldPath,
        message: str,
        *,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        chain: bool = False,
        properties: Mapping[str, str] | None = None,
        at: Pos | None = None,
        fix: Fix | None = None,
    ) -> None:
        """Report a finding on ``resource`` at ``path`` (a field path into its body).

        ``at`` is a position the parser recorded, for a node that its field path cannot
        reach: an earlier occurrence of a duplicate key, which the path resolves past to
        the kept (last) one.
        """
        if at is None:
            location = resource.locate(path)
        else:
            key = path[-1] if path and isinstance(path[-1], str) else None
            location = resource.origin.location(at, key, path, exact=True)
        finding = Finding(
            rule=self.meta.id,
            name=self.meta.name,
            severity=self.meta.severity if severity is None else severity,
            message=message,
            resource=resource.ref,
            location=location,
            field_path=path,
            related=tuple(related),
            chain=chain,
            scenarios=(resource.scenario,) if resource.scenario else (),
            properties=tuple(sorted((properties or {}).items())),
            fix=fix,
        )
        self._sink(finding)


def plain_file(resource: Resource) -> str | None:
    """The manifest file a resource was read from as written; None when rendered or piped in."""
    origin = resource.origin
    return origin.path if isinstance(origin, FileOrigin) and not origin.path.startswith("<") else None


class Rule(ABC):
    """Common ground of both rule shapes."""

    meta: ClassVar[RuleMeta]

    def admission(self, options: Mapping[str, Any]) -> Exported:
        """The same check as admission-time CEL (see :mod:`tokenlint.admission`), with the
        rule's resolved ``options``; or why one admission request cannot decide it."""
        return NotExportable("no admission form is declared for this rule")


class ResourceRule(Rule):
    """Checks one resource at a time, as resources stream past.

    ``kinds`` limits the resources it is called for; None means every resource.
    """

    kinds: ClassVar[frozenset[str] | None] = None

    @abstractmethod
    def check(self, resource: Resource, ctx: Context) -> None: ...


class BundleRule(Rule):
    """Checks the whole bundle once, through the index (cross-file questions)."""

    @abstractmethod
    def check(self, index: BundleIndex, ctx: Context) -> None: ...

    def admission(self, options: Mapping[str, Any]) -> Exported:
        return CROSS_RESOURCE
