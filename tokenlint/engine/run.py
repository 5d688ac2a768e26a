"""Run the rules over the inputs and collect findings and errors; never prints.

Resources stream through: each one is shape-checked and given to the per-resource rules
as soon as it is parsed, and kept only when the bundle index needs it. Cross-file rules
then run once per bundle. Plain files form the base bundle; every rendered chart
scenario is a bundle of its own on top of the base, so that two scenarios of one chart
never see each other's objects, and a finding that several scenarios share is reported
once with all their names.

Once every rule has run, :mod:`tokenlint.engine.suppress` decides which findings are suppressed
from what the engine read along the way (annotations, ``# tokenlint:`` comments and
service accounts of each document), the configuration and the baseline.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tokenlint.engine import suppress
from tokenlint.engine.cache import FileCache, FileRecord
from tokenlint.engine.focus import focus
from tokenlint.engine.suppress import Declared, RunsAs, SuppressOptions
from tokenlint.k8s import credentials, defaults, gitops, shape
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.workloads import slim_for_index, workload_of
from tokenlint.model import FieldPath, Finding, InputError, Location, Notice, Severity
from tokenlint.resources.resource import Resource, Stream, is_object, resources_of, shaped_by
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import Context, ResourceRule, Rule
from tokenlint.yaml.reader import Document, ParseError, iter_stream


@dataclass(frozen=True)
class LintOptions:
    """Settings that change how inputs are read and rules behave.

    ``severity`` overrides the severity of a rule's findings (by rule id); ``suppress``
    says how suppressions are decided (trusted accounts, baseline, known rules).

    ``changed`` tells the paths of changed files (pre-commit), for a caller that keeps
    only the findings touching them (:class:`tokenlint.engine.scope.ChangeScope`): cross-file
    rules then judge only the workloads those files can affect (:mod:`tokenlint.engine.focus`),
    and the findings that touch a changed file are still exactly those of a full run.
    """

    namespace: str = "default"
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    suppress: SuppressOptions = field(default_factory=SuppressOptions)
    changed: Callable[[str], bool] | None = None
    include_defaults: bool = False
    """Report findings on Kubernetes' own objects (at info) instead of leaving them out."""


@dataclass
class LintResult:
    """Everything a reporter needs, and nothing it has to decide."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    resources: int = 0
    skipped: int = 0


_HELM_TEMPLATE_HINT = "looks like a Helm template, not YAML: lint its chart directory"


class _Run:
    """The state of one lint run; one instance per call of :func:`lint`."""

    def __init__(self, rules: RuleSet, options: LintOptions, cache: FileCache | None = None) -> None:
        self.options = options
        self.rules = rules
        self.declared: list[Declared | RunsAs] = []
        self.cache = cache
        self.result = LintResult()
        self.base: list[Resource] = []
        self.bundles: dict[str, list[Resource]] = {}
        self.by_kind: dict[str, list[tuple[ResourceRule, Context]]] = {}
        self.any_kind: list[tuple[ResourceRule, Context]] = []
        self.bundle_rules = [(r, self._context(r)) for r in rules.bundle_rules]
        for rule in rules.resource_rules:
            ctx = self._context(rule)
            if rule.kinds is None:
                self.any_kind.append((rule, ctx))
            else:
                for kind in rule.kinds:
                    self.by_kind.setdefault(kind, []).append((rule, ctx))

    def _context(self, rule: Rule) -> Context:
        options = {**rule.meta.defaults(), **self.options.rule_options.get(rule.meta.id, {})}
        return Context(rule.meta, options, self.result.findings.append)

    def read(self, stream: Stream) -> None:
        self.result.files += 1
        kept = self.base if stream.bundle is None else self.bundles.setdefault(stream.bundle, [])
        cache = self.cache if self.cache is not None and self.cache.accepts(stream) else None
        record = cache.load(stream, lambda: self._fresh_record(stream)) if cache is not None else None
        if record is not None:
            self._replay(record, kept)
        elif cache is not None:
            cache.store(stream, self._parse_recorded(stream, kept))
        else:
            self._parse(stream, kept)

    def _fresh_record(self, stream: Stream) -> FileRecord:
        """What parsing ``stream`` gives, outside this run's results: for a cache entry
        whose lazily decoded parts turn out damaged."""
        return _Run(self.rules, self.options)._parse_recorded(stream, [])

    def _replay(self, record: FileRecord, kept: list[Resource]) -> None:
        """Add a cached file's outcome as if it had just been parsed and checked."""
        self.result.documents += record.documents
        self.result.skipped += record.skipped
        self.result.resources += record.resources
        self.result.errors.extend(record.errors)
        self.result.findings.extend(record.findings)
        self.declared.extend(record.declared)
        kept.extend(record.kept)

    def _parse_recorded(self, stream: Stream, kept: list[Resource]) -> FileRecord:
        """Parse and check ``stream``, returning what it added so that it can be cached."""
        result = self.result
        findings, errors, declared = len(result.findings), len(result.errors), len(self.declared)
        documents, skipped, resources, kept_before = result.documents, result.skipped, result.resources, len(kept)
        self._parse(stream, kept)
        return FileRecord(
            documents=result.documents - documents,
            skipped=result.skipped - skipped,
            resources=result.resources - resources,
            errors=tuple(result.errors[errors:]),
            findings=tuple(result.findings[findings:]),
            declared=tuple(self.declared[declared:]),
            kept=tuple(kept[kept_before:]),
        )

    def _parse(self, stream: Stream, kept: list[Resource]) -> None:
        data = stream.data
        items: Iterable[Document | ParseError] = iter_stream(data)
        comments: dict[int, list[suppress.Comment]] = {}
        if suppress.COMMENT_MARK in data:
            # Comments are matched to documents by their start lines, so a stream that
            # holds any is read whole first; every other stream is checked document by
            # document and dropped as it goes.
            items = list(items)
            comments = suppress.comments_by_document(data, [d for d in items if isinstance(d, Document)])
        namespace = stream.namespace or self.options.namespace
        scan = credentials.may_carry(data)
        for item in items:
            if isinstance(item, ParseError):
                self._parse_error(stream, item)
                continue
            if item.data is None:
                continue
            self.result.documents += 1
            if not is_object(item.data):
                self.result.skipped += 1
                continue
            resources = list(resources_of(item, stream.origin, namespace, stream.scenario))
            for resource in resources:
                if not self._redact(resource, scan):
                    continue
                self.result.resources += 1
                self._check_resource(resource)
                if BundleIndex.wants(resource) or gitops.is_gitops(resource):
                    workload = workload_of(resource)
                    if workload is not None:
                        slim_for_index(workload)
                    kept.append(resource)
            self.declared.extend(suppress.declarations(resources, comments.get(item.index, ())))

    def _redact(self, resource: Resource, scan: bool) -> bool:
        """Take the secrets out of the body before any rule, message or cache entry sees them.

        Should looking for them fail, the resource is not linted at all (it may still hold
        a secret), and the error names only the exception's type: its text could quote one.
        """
        try:
            credentials.redact(resource, scan)
        except Exception as exc:  # a bug here must neither stop the run nor echo a value
            where = resource.locate(())
            message = f"internal error while looking for credentials ({type(exc).__name__}); resource not linted"
            self.result.errors.append(InputError(where.path, where.line, where.column, message))
            return False
        return True

    def _parse_error(self, stream: Stream, error: ParseError) -> None:
        where = stream.origin.location((error.line, error.column), None, (), exact=True)
        helm_like = stream.bundle is None and b"{{" in stream.data
        message = f"{_HELM_TEMPLATE_HINT} ({error.message})" if helm_like else error.message
        self.result.errors.append(InputError(where.path, where.line, where.column, message))

    def _check_resource(self, resource: Resource) -> None:
        for path, message in shape.problems(resource):
            where = resource.locate(path)
            self.result.errors.append(InputError(where.path, where.line, where.column, message))
        for rule, ctx in (*self.any_kind, *self.by_kind.get(resource.kind, ())):
            self._guarded(rule, resource.locate, rule.check, resource, ctx)

    def _guarded(
        self, rule: Rule, where: Callable[[FieldPath], Location], check: Any, subject: Any, ctx: Context
    ) -> None:
        """A crashing rule becomes an error (exit 2) naming the rule; other rules go on.

        ``where`` is only called on a crash: locating costs more than most checks.
        """
        try:
            check(subject, ctx)
        except Exception as exc:  # a rule bug must not hide the other findings
            message = f"internal error in rule {rule.meta.id} ({rule.meta.name}): {type(exc).__name__}: {exc}"
            place = where(())
            self.result.errors.append(InputError(place.path, place.line, place.column, message))

    def finish(self) -> LintResult:
        everything = [self.base, *self.bundles.values()]
        self.result.notices = gitops.notices(r for resources in everything for r in resources)
        self._check_bundle(self.base, own=None)
        for resources in self.bundles.values():
            self._check_bundle(self.base + resources, own=resources)
        findings = merge_scenarios(self.result.findings)
        findings = suppress.apply(findings, self.declared, self.rules, self.options.suppress)
        overrides = self.options.severity
        findings = [replace(f, severity=overrides[f.rule]) if f.rule in overrides else f for f in findings]
        kept = [*self.base, *(r for resources in self.bundles.values() for r in resources)]
        findings = defaults.quiet(findings, kept, self.options.include_defaults)
        self.result.findings = sorted(findings, key=_finding_order)
        self.result.errors.sort(key=lambda e: (e.path, e.line or 0, e.column or 0))
        return self.result

    def _check_bundle(self, resources: list[Resource], own: list[Resource] | None) -> None:
        """Run the cross-file rules over ``resources``.

        ``own`` are the resources of a bundle on top of the base (a chart scenario): only
        findings on them are kept, because findings on base resources were already
        reported by the base bundle. They are told apart by identity and file, never by
        the scenario name, which a chart without ``ci/`` scenarios does not report.
        """
        if not self.bundle_rules:
            return
        index = BundleIndex.build(resources)
        changed = self.options.changed
        if changed is not None:
            focus(index, resources, lambda resource: any(map(changed, shaped_by(resource.origin))))
        findings = self.result.findings
        start = len(findings)
        anchor = resources[0].locate if resources else (lambda _path: Location("<bundle>", 1, 1))
        for rule, ctx in self.bundle_rules:
            self._guarded(rule, anchor, rule.check, index, ctx)
        if own is not None:
            mine = {(r.ref, r.origin.path) for r in own}
            # A finding naming a scenario is on the bundle's own resources whatever file it
            # points at (a kustomize patch is not the file its object came from).
            findings[start:] = [f for f in findings[start:] if f.scenarios or (f.resource, f.location.path) in mine]


def _finding_order(finding: Finding) -> tuple[str, int, int, str, str]:
    loc = finding.location
    return (loc.path, loc.line, loc.column, finding.rule, finding.message)


def merge_scenarios(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per rule, resource, field and place, listing every scenario that had it."""
    merged: dict[tuple[str, str, int], Finding] = {}
    for finding in findings:
        key = (finding.fingerprint(), finding.location.path, finding.location.line)
        seen = merged.get(key)
        if seen is None:
            merged[key] = finding
        elif finding.scenarios:
            scenarios = tuple(dict.fromkeys(seen.scenarios + finding.scenarios))
            merged[key] = replace(seen, scenarios=scenarios)
    return list(merged.values())


def lint(
    inputs: Iterable[Stream | InputError],
    rules: RuleSet,
    options: LintOptions | None = None,
    cache: FileCache | None = None,
) -> LintResult:
    """Lint every stream; errors on one input never stop the others.

    With a ``cache``, plain files whose content was read before replay their record
    instead of being parsed and checked again; cross-file rules always run afresh.
    """
    run = _Run(rules, options or LintOptions(), cache)
    # Parsed data is acyclic and freed by reference counting; the cyclic collector would
    # only rescan every kept resource again and again as the bundle grows (a third of
    # the run time on large inputs), so it is paused while the bundle is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for item in inputs:
            if isinstance(item, InputError):
                run.result.errors.append(item)
            else:
                run.read(item)
            del item  # release the input's bytes before the next one is read
        return run.finish()
    finally:
        if collecting:
            gc.enable()
