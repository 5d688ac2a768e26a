"""Custom rules without Python: a YAML file with a rule's metadata and a JSON Schema.

A rule file names its id (a prefix other than ``TL``, which built-in rules own), name,
severity, summary and help like a built-in rule, what it applies to (resources of some
kinds, or the pod spec of every workload kind) and a JSON Schema. Each way a resource
fails the schema is a finding at the failing field, or at its parent when the field is
missing. The rule file is checked against ``tokenlint/data/customrule.schema.json`` and
its schema against the JSON Schema meta-schema; every problem is reported with its line.

The rules are ordinary :class:`~tokenlint.rulekit.rule.ResourceRule` instances, passed to
:func:`tokenlint.rulekit.registry.load_rules` as ``extra``, so selection, severity overrides,
suppressions, baselines and every output format treat them like built-in rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from tokenlint.admission import AdmissionCheck, Exported, NotExportable, Validation, cel_list
from tokenlint.app.config import ConfigError, Problem, schema_problems, yaml_locator
from tokenlint.k8s.apiresources import API_RESOURCES
from tokenlint.k8s.workloads import WORKLOAD_KINDS, pod_spec_cel, workload_of
from tokenlint.model import FieldPath, Severity, dotted
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.customcel import Untranslatable, schema_cel
from tokenlint.rulekit.rule import Context, ResourceRule, Rule, RuleMeta
from tokenlint.yaml.reader import parse_stream

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "customrule.schema.json"
RULE_SUFFIXES = (".yaml", ".yml")


class SchemaRule(ResourceRule):
    """A rule written as data: the resource, or its pod spec, must satisfy a JSON Schema.

    ``meta`` and ``kinds`` are class attributes in the rule interface, so each rule file
    gets its own subclass (see :func:`load_rule_file`); the rest is per instance.
    """

    def __init__(self, validator: Validator, pod_specs: bool, namespaces: frozenset[str] | None, message: str) -> None:
        self.validator = validator
        self.pod_specs = pod_specs
        self.namespaces = namespaces
        self.message = message

    def check(self, resource: Resource, ctx: Context) -> None:
        if self.namespaces is not None and resource.namespace not in self.namespaces:
            return
        base: FieldPath = ()
        target: Any = resource.body
        if self.pod_specs:
            workload = workload_of(resource)
            if workload is None:
                return
            base, target = workload.spec_path, resource.get(workload.spec_path)
            if not isinstance(target, dict):
                return
        for error in self.validator.iter_errors(target):
            missing = _missing(error)
            path = (*base, *error.absolute_path, *missing)
            ctx.report(resource, path, f"{self.message} ({dotted(path)}: {'missing' if missing else _detail(error)})")

    def admission(self, options: Mapping[str, Any]) -> Exported:
        given = type(self).kinds
        if self.pod_specs:
            # The linter also reads custom resources with a pod template; a policy names its kinds.
            kinds = WORKLOAD_KINDS if given is None else tuple(sorted(given & set(WORKLOAD_KINDS)))
            unknown = sorted(given - set(WORKLOAD_KINDS)) if given is not None else []
        else:
            kinds = tuple(sorted(given or ()))
            unknown = [k for k in kinds if k not in API_RESOURCES]
        if unknown:
            return NotExportable(f"it applies to {', '.join(unknown)}, which the export cannot match by kind")
        target = "variables.podSpec" if self.pod_specs else "object"
        try:
            expression = schema_cel(self.validator.schema, target)
        except Untranslatable as exc:
            return NotExportable(str(exc))
        conditions: tuple[tuple[str, str], ...] = ()
        if self.namespaces is not None:
            namespace = "has(object.metadata.namespace) && object.metadata.namespace"
            conditions = (("in-namespaces", f"{namespace} in {cel_list(sorted(self.namespaces))}"),)
        return (
            AdmissionCheck(
                kinds=tuple(sorted(kinds)),
                validations=(Validation(expression, self.message),),
                covers=f"{'the pod spec of ' if self.pod_specs else ''}{', '.join(sorted(kinds))} objects that do not "
                "satisfy the rule's JSON Schema",
                conditions=conditions,
                variables=(("podSpec", pod_spec_cel()),) if self.pod_specs else (),
            ),
        )


def _detail(error: ValidationError) -> str:
    """What the schema expected, in YAML's words where jsonschema uses Python's (False)."""
    if error.validator == "const":
        return f"expected {json.dumps(error.validator_value)}, found {json.dumps(error.instance, default=str)}"
    return error.message


def _missing(error: ValidationError) -> tuple[str, ...]:
    """The property a ``required`` error is about: the finding names it, and its location
    falls back to the parent that lacks it. jsonschema reports one error per property."""
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        for name in error.validator_value:
            if name not in error.instance and error.message == f"{name!r} is a required property":
                return (name,)
    return ()


@cache
def rule_file_schema() -> dict[str, Any]:
    """The published schema of custom rule files."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def load_rule_file(path: Path, shown: str) -> Rule:
    """Build the rule a file defines; raises ConfigError with each problem and its line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(shown, None, f"cannot read: {exc.strerror or exc}")]) from None
    documents, errors = parse_stream(raw)
    if errors:
        raise ConfigError([Problem(shown, e.line, e.message) for e in errors])
    found = [d for d in documents if d.data is not None]
    if len(found) != 1:
        raise ConfigError([Problem(shown, found[1].line if found else 1, "expected one YAML document: the rule")])
    data = found[0].data
    locate = yaml_locator(data)
    problems = schema_problems(rule_file_schema(), data, (), shown, locate)
    if problems:
        raise ConfigError(problems)
    schema = data["schema"]
    checker = validators.validator_for(schema, default=Draft202012Validator)
    problems = schema_problems(checker.META_SCHEMA, schema, ("schema",), shown, locate)
    if problems:
        raise ConfigError(problems)
    meta = RuleMeta(
        id=data["id"],
        name=data["name"],
        severity=Severity.parse(data["severity"]),
        summary=data["summary"],
        help_text=data.get("help") or data["summary"],
        tags=("custom",),
    )
    pod_specs = data.get("check") == "pod-spec"
    kinds = frozenset(data["kinds"]) if "kinds" in data else None
    namespaces = frozenset(data["namespaces"]) if "namespaces" in data else None
    rule_class: type[SchemaRule] = type(f"CustomRule{meta.id}", (SchemaRule,), {"meta": meta, "kinds": kinds})
    return rule_class(checker(schema), pod_specs, namespaces, data.get("message") or meta.summary)


def load_custom_rules(folders: Sequence[Path], shown: Sequence[str] | None = None) -> list[Rule]:
    """The rules of every ``.yaml``/``.yml`` file in ``folders`` (``shown``: how to name the
    folders in messages). Raises ConfigError with every problem of every file."""
    names = shown or [f.as_posix() for f in folders]
    rules: list[Rule] = []
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    for folder, name in zip(folders, names, strict=True):
        if not folder.is_dir():
            problems.append(Problem(name, None, "custom rule folder not found"))
            continue
        for file in sorted(p for p in folder.iterdir() if p.suffix in RULE_SUFFIXES and p.is_file()):
            where = f"{name}/{file.name}"
            try:
                rule = load_rule_file(file, where)
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            if rule.meta.id in ids:
                problems.append(Problem(where, None, f"id {rule.meta.id} is already defined in {ids[rule.meta.id]}"))
                continue
            ids[rule.meta.id] = where
            rules.append(rule)
    if problems:
        raise ConfigError(problems)
    return rules
