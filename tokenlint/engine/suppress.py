"""Decide which findings are suppressed, and report suppressions that no longer earn their place.

Where a suppression comes from, the first that matches wins:

1. In the input (SARIF kind ``inSource``). An annotation on the resource,
   ``ignore.tokenlint.io/<rule>: "<reason>"``, or a comment
   ``# tokenlint: ignore[<rule>,...] <reason>`` at the end of the offending line, on its
   own line above it, or on its own line at the top of a document (the whole document).
   Comments survive Helm rendering verbatim, so they also work inside templates. A
   reason may start with ``until YYYY-MM-DD:``; after that day the suppression no longer
   applies and is reported (TL009).
2. The configuration: workloads running as a trusted service account (TL001, TL201).
3. The baseline: fingerprints accepted by ``tokenlint baseline create``.

Stale suppressions are reported (TL008), so ignores do not pile up: one that names no
known rule, is malformed, gives no reason, or matches no finding of a rule that ran.

The engine reads; this module decides. While the engine parses it hands each document
to :func:`declarations` (plain values, kept per file like findings), and once every rule
has run it calls :func:`apply` with the findings. Nothing here reads files.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar

from tokenlint.admission import Exported, NotExportable, cel_string
from tokenlint.engine.baseline import Baseline
from tokenlint.k8s.serviceaccounts import AccountKey, account_of
from tokenlint.k8s.workloads import workload_of
from tokenlint.model import FieldPath, Finding, Location, ResourceRef, Suppression
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.registry import RuleSet, load_rules
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta
from tokenlint.yaml.reader import Document, YMap, YSeq

ANNOTATION_PREFIX = "ignore.tokenlint.io/"
COMMENT_MARK = b"tokenlint:"
UNUSED_RULE = "TL008"
EXPIRED_RULE = "TL009"
TRUSTED_ACCOUNT_RULES = frozenset({"TL001", "TL201"})
"""The rules whose finding is "this workload holds a token": exactly what a trusted
controller or operator legitimately needs."""

_COMMENT = re.compile(rb"(?:^|[ \t])(#[ \t]*tokenlint:[ \t]*(.*?))[ \t]*\r?$", re.MULTILINE)
_DIRECTIVE = re.compile(r"ignore\[([^\]]*)\][ \t]*(.*)", re.DOTALL)
_UNTIL = re.compile(r"until[ \t]+(\S+?)[ \t]*:[ \t]*(.*)", re.DOTALL)
_COMMENT_SYNTAX = "write '# tokenlint: ignore[RULE,...] reason'"


@dataclass(frozen=True)
class Reason:
    """The justification of a suppression. ``expires`` is the last day it applies (an ISO
    date, so that it compares as text); ``problem`` says why it cannot apply at all."""

    text: str
    expires: str | None = None
    problem: str | None = None


def parse_reason(text: str) -> Reason:
    """``reason`` or ``until YYYY-MM-DD: reason``; a reason is required."""
    text = text.strip()
    expires = None
    until = _UNTIL.fullmatch(text)
    if until is not None:
        try:
            expires = date.fromisoformat(until[1]).isoformat()
        except ValueError:
            return Reason(text, problem=f"'until {until[1]}' is not a date: write 'until YYYY-MM-DD: reason'")
        text = until[2].strip()
    if not text:
        return Reason(text, expires, "it gives no reason: say why the finding is acceptable")
    return Reason(text, expires)


_UNTIL_FORM_RE2 = r"^\s*until[ \t]+\S+?[ \t]*:"


def _not_before_re2(day: date) -> str:
    """RE2 for the ``YYYY-MM-DD`` texts of ``day`` or later: ISO dates compare digit by digit.

    Only the digits are compared: an impossible date after ``day`` (2099-13-01) matches,
    where :func:`parse_reason` refuses it.
    """
    digits = day.strftime("%Y%m%d")
    choices = [list(digits)]
    for i, digit in enumerate(digits):
        if digit != "9":
            choices.append([*digits[:i], f"[{int(digit) + 1}-9]", *["[0-9]"] * (len(digits) - i - 1)])
    return "(" + "|".join(f"{''.join(c[:4])}-{''.join(c[4:6])}-{''.join(c[6:])}" for c in choices) + ")"


def annotation_suppresses_cel(keys: Iterable[str], today: date) -> str:
    """CEL: the object carries ``ignore.tokenlint.io/<key>`` for one of ``keys`` (a rule's id
    and name) with a value :func:`parse_reason` accepts and that has not expired on
    ``today``: a reason, after an optional ``until YYYY-MM-DD:``.

    Kubernetes' CEL has no clock: expiry is decided as of ``today``, the day the policy
    is written, so a suppression that expires later still applies at admission until
    the policies are written again. Comments are not part of the object: only
    annotations suppress at admission.
    """
    until_valid = rf"(?s)^\s*until[ \t]+{_not_before_re2(today)}[ \t]*:.*\S"
    annotations = "object.metadata.annotations"
    either = []
    for key in keys:
        name = cel_string(ANNOTATION_PREFIX + key)
        value = f"{annotations}[{name}]"
        reason = (
            f"({value}.matches({cel_string(_UNTIL_FORM_RE2)}) ? {value}.matches({cel_string(until_valid)}) : "
            f"{value}.matches({cel_string(chr(92) + 'S')}))"
        )
        either.append(f"({name} in {annotations} && {reason})")
    return f"has({annotations}) && ({' || '.join(either)})"


@dataclass(frozen=True)
class Comment:
    """A ``# tokenlint:`` comment of a stream. ``target`` is the line it covers, None for
    the whole document; positions are in the stream (rendered output, for charts)."""

    line: int
    column: int
    rules: tuple[str, ...]
    reason: Reason
    target: int | None


def comments_by_document(data: bytes, documents: Sequence[Document]) -> dict[int, list[Comment]]:
    """The ``# tokenlint:`` comments of a stream, by the index of the document they cover.

    Comments are not in the parser's event stream, so the raw bytes are scanned, and only
    when the marker occurs at all (the common case costs one ``in`` test). A comment after
    content covers its own line; a comment on a line of its own covers the next line
    that is not blank or a comment, or the whole document when that line is where the
    document's body starts.
    """
    if COMMENT_MARK not in data:
        return {}
    roots = sorted((doc.data.line, doc.index) for doc in documents if isinstance(doc.data, (YMap, YSeq)))
    starts = [line for line, _ in roots]
    lines = data.split(b"\n")
    found: dict[int, list[Comment]] = {}
    for match in _COMMENT.finditer(data):
        line_start = data.rfind(b"\n", 0, match.start(1)) + 1
        line = data.count(b"\n", 0, line_start) + 1
        standalone = data[line_start : match.start(1)].strip() in (b"", b"---")
        target = _next_content(lines, line) if standalone else line
        at = bisect.bisect_right(starts, target) - 1 if target is not None else -1
        if at < 0:
            continue  # covers no document: nothing to suppress, nothing to report it on
        root, index = roots[at]
        rules, reason = _directive(match[2].decode("utf-8", errors="replace"))
        column = match.start(1) - line_start + 1
        covered = None if standalone and target == root else target
        found.setdefault(index, []).append(Comment(line, column, rules, reason, covered))
    return found


def _next_content(lines: list[bytes], line: int) -> int | None:
    """The first line after ``line`` (1-based) that holds YAML content."""
    for number in range(line, len(lines)):
        text = lines[number].strip()
        if text and not text.startswith(b"#") and text not in (b"---", b"..."):
            return number + 1
    return None


def _directive(text: str) -> tuple[tuple[str, ...], Reason]:
    directive = _DIRECTIVE.fullmatch(text.strip())
    if directive is None:
        return (), Reason(text, problem=f"{text.strip()!r} is not a tokenlint directive: {_COMMENT_SYNTAX}")
    rules = tuple(r.strip() for r in directive[1].split(",") if r.strip())
    if not rules:
        return (), Reason(text, problem=f"it names no rule: {_COMMENT_SYNTAX}")
    return rules, parse_reason(directive[2])


@dataclass(frozen=True)
class Declared:
    """A suppression as written in the input, before anything is decided about it.

    ``owner`` is the resource it is written on (for a comment, the first resource of its
    document), where a stale suppression is reported. It covers the findings on the
    resources in ``covers`` (annotations, document comments); a comment on a line covers
    the findings located on ``line`` (path, line) and those anywhere inside ``node``, the
    field that starts on that line (a resource and a field path).
    """

    kind: str
    rules: tuple[str, ...]
    reason: Reason
    location: Location
    owner: ResourceRef
    field_path: FieldPath
    covers: tuple[ResourceRef, ...] = ()
    line: tuple[str, int] | None = None
    node: tuple[ResourceRef, FieldPath] | None = None


@dataclass(frozen=True)
class RunsAs:
    """A workload and the service account its pods run as, for trusted accounts."""

    workload: ResourceRef
    account: AccountKey


def declarations(resources: Sequence[Resource], comments: Sequence[Comment]) -> list[Declared | RunsAs]:
    """What one document declares: its resources' annotations and accounts, its comments.

    The result depends on the input only, never on configuration or date, so the engine
    can keep it with a file's other results.
    """
    found: list[Declared | RunsAs] = []
    for resource in resources:
        for key, value in resource.annotations.items():
            if key.startswith(ANNOTATION_PREFIX):
                path: FieldPath = ("metadata", "annotations", key)
                reason = (
                    parse_reason(value)
                    if isinstance(value, str)
                    else Reason(str(value), problem="its value must be a string: the reason")
                )
                rule = key[len(ANNOTATION_PREFIX) :]
                found.append(
                    Declared("annotation", (rule,), reason, resource.locate(path), resource.ref, path, (resource.ref,))
                )
        workload = workload_of(resource)
        if workload is not None:
            found.append(RunsAs(resource.ref, account_of(workload)))
    if resources and comments:
        origin = resources[0].origin
        refs = tuple(r.ref for r in resources)
        for comment in comments:
            where = origin.location((comment.line, comment.column), None, (), exact=True)
            path = (f"# tokenlint: ignore[{','.join(comment.rules)}]",)
            if comment.target is None:
                found.append(Declared("comment", comment.rules, comment.reason, where, refs[0], path, covers=refs))
            else:
                target = origin.location((comment.target, 1), None, (), exact=True)
                line = (target.path, target.line)
                node = next(
                    ((r.ref, f) for r in resources if (f := _field_at(r.body, comment.target)) is not None), None
                )
                found.append(
                    Declared("comment", comment.rules, comment.reason, where, refs[0], path, line=line, node=node)
                )
    return found


def _field_at(node: YMap | YSeq, line: int, path: FieldPath = ()) -> FieldPath | None:
    """The outermost field inside ``node`` that starts on ``line``: a comment above
    ``verbs:`` or above a list item covers everything inside it."""
    children: list[tuple[str | int, int, Any]]
    if isinstance(node, YMap):
        children = [(key, pos[0], node[key]) for key, pos in node.keypos.items()]
    else:
        children = [(i, pos[0], node[i]) for i, pos in enumerate(node.itempos)]
    for step, start, child in children:
        if start == line:
            return (*path, step)
        if start < line and isinstance(child, (YMap, YSeq)) and child.line <= line:
            found = _field_at(child, line, (*path, step))
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class SuppressOptions:
    """How to decide. ``known_rules`` maps the id and the name of every rule a suppression
    may name to its id (default: the installed rules); the rules of the run are always
    known. ``today`` is the date expiries are compared with (default: the real one)."""

    trusted_accounts: frozenset[AccountKey] = frozenset()
    baseline: Baseline | None = None
    known_rules: Mapping[str, str] | None = None
    today: date | None = None


class SuppressionRule(ResourceRule):
    """The shape of TL008 and TL009: rules that report on suppressions, not resources.

    They ask for no kind, so the engine never calls them per resource; :func:`apply`
    reports their findings once every other rule has run, because only then is it known
    which suppressions matched. Being rules, they have pages and can be selected, ignored
    and given another severity like any other.
    """

    kinds: ClassVar[frozenset[str] | None] = frozenset()

    def check(self, resource: Resource, ctx: Context) -> None:
        """Never called: the rule asks for no kind of resource."""

    def admission(self, options: Mapping[str, Any]) -> Exported:
        return NotExportable("about the suppressions written in files, not about an object")


def rule_names(rules: RuleSet) -> dict[str, str]:
    """Id and name of each rule, to its id: what a suppression may name."""
    return {key: r.meta.id for r in rules.rules for key in (r.meta.id, r.meta.name)}


@dataclass
class _Entry:
    """One rule of one declared suppression."""

    declared: Declared
    written: str
    rule: str
    expired: bool
    used: bool = False

    def suppression(self) -> Suppression:
        return Suppression(self.declared.kind, self.declared.reason.text, self.declared.location)


@dataclass
class _Decider:
    options: SuppressOptions
    known: Mapping[str, str]
    today: str
    by_ref: dict[tuple[ResourceRef, str], _Entry] = field(default_factory=dict)
    by_line: dict[tuple[str, int, str], _Entry] = field(default_factory=dict)
    by_node: dict[tuple[ResourceRef, str], list[tuple[FieldPath, _Entry]]] = field(default_factory=dict)
    trusted: dict[ResourceRef, AccountKey] = field(default_factory=dict)
    entries: dict[tuple[str, str, int, int, str], _Entry] = field(default_factory=dict)
    problems: dict[tuple[Declared, str], str] = field(default_factory=dict)

    def add(self, item: Declared | RunsAs) -> None:
        if isinstance(item, RunsAs):
            if item.account in self.options.trusted_accounts:
                self.trusted[item.workload] = item.account
            return
        if item.reason.problem is not None:
            self.problems[(item, "")] = f"does not apply: {item.reason.problem}"
            return
        for written in item.rules:
            rule = self._resolve(written)
            if rule is None:
                self.problems[(item, written)] = f"names no known rule {written!r}: run 'tokenlint rules' for the list"
                continue
            loc = item.location
            # The same text is declared again by every scenario that renders its template.
            key = (item.kind, loc.path, loc.line, loc.column, rule)
            if key in self.entries:
                continue
            expires = item.reason.expires
            entry = self.entries[key] = _Entry(
                item, written, rule, expired=expires is not None and expires < self.today
            )
            if entry.expired:
                continue
            for ref in item.covers:
                self.by_ref.setdefault((ref, rule), entry)
            if item.line is not None:
                self.by_line.setdefault((*item.line, rule), entry)
            if item.node is not None:
                ref, prefix = item.node
                self.by_node.setdefault((ref, rule), []).append((prefix, entry))

    def _resolve(self, written: str) -> str | None:
        return self.known.get(written) or self.known.get(written.upper())

    def decide(self, finding: Finding) -> Finding:
        loc = finding.location
        entry = (
            self.by_line.get((loc.path, loc.line, finding.rule))
            or self._inside(finding)
            or self.by_ref.get((finding.resource, finding.rule))
        )
        if entry is not None:
            entry.used = True
            return replace(finding, suppression=entry.suppression())
        account = self.trusted.get(finding.resource)
        if account is not None and finding.rule in TRUSTED_ACCOUNT_RULES:
            reason = f"trusted service account {account[0]}/{account[1]} (configuration)"
            return replace(finding, suppression=Suppression("config", reason))
        return self.baseline(finding)

    def _inside(self, finding: Finding) -> _Entry | None:
        """The line comment whose field holds the finding's field."""
        path = finding.field_path
        for prefix, entry in self.by_node.get((finding.resource, finding.rule), ()):
            if path[: len(prefix)] == prefix:
                return entry
        return None

    def baseline(self, finding: Finding) -> Finding:
        baseline = self.options.baseline
        if baseline is not None and finding in baseline:
            return replace(finding, suppression=Suppression("baseline", f"in baseline {baseline.path}"))
        return finding

    def stale(self, rules: RuleSet) -> list[Finding]:
        """TL008 and TL009 findings, for those of the two that are in the run."""
        ran = {r.meta.id for r in rules.rules}
        unused = rules.by_id(UNUSED_RULE) if UNUSED_RULE in ran else None
        expired = rules.by_id(EXPIRED_RULE) if EXPIRED_RULE in ran else None
        found = []
        if unused is not None:
            for (declared, written), problem in self.problems.items():
                path = (*declared.field_path, written) if written else declared.field_path
                found.append(_report(unused.meta, declared, path, f"{_what(declared)} {problem}"))
            for entry in self.entries.values():
                if entry.rule in ran and not entry.used and not entry.expired:
                    message = f"{_what(entry.declared)} matches no {entry.rule} finding: remove it"
                    found.append(
                        _report(unused.meta, entry.declared, (*entry.declared.field_path, entry.written), message)
                    )
        if expired is not None:
            for entry in (e for e in self.entries.values() if e.expired):
                message = (
                    f"{_what(entry.declared)} expired on {entry.declared.reason.expires}, so {entry.rule} is reported"
                    f" again: fix the finding or renew the date (reason given: {entry.declared.reason.text})"
                )
                found.append(
                    _report(expired.meta, entry.declared, (*entry.declared.field_path, entry.written), message)
                )
        return found


def _what(declared: Declared) -> str:
    if declared.kind == "annotation":
        return f"annotation {declared.field_path[-1]}"
    return f"comment '{declared.field_path[0]}'"


def _report(meta: RuleMeta, declared: Declared, path: FieldPath, message: str) -> Finding:
    return Finding(
        rule=meta.id,
        name=meta.name,
        severity=meta.severity,
        message=message,
        resource=declared.owner,
        location=declared.location,
        field_path=path,
    )


def apply(
    findings: Iterable[Finding], declared: Iterable[Declared | RunsAs], rules: RuleSet, options: SuppressOptions
) -> list[Finding]:
    """Mark each finding with the suppression that applies to it, if any, and add the
    TL008/TL009 findings about stale suppressions (which only a baseline can suppress)."""
    installed = options.known_rules if options.known_rules is not None else rule_names(load_rules())
    known = {**installed, **rule_names(rules)}
    decider = _Decider(options, known, (options.today or date.today()).isoformat())
    for item in declared:
        decider.add(item)
    decided = [decider.decide(f) for f in findings]
    return decided + [decider.baseline(f) for f in decider.stale(rules)]
