"""Find, load and validate the configuration (``.tokenlint.yaml`` or ``[tool.tokenlint]``).

The file is checked against the published JSON Schema (``tokenlint/data/config.schema.json``,
usable by editors) and every problem is reported with the file, the line and what was
expected. YAML is read with :mod:`tokenlint.yaml.reader`, whose nodes carry their positions,
so a schema error's path leads straight to a line. ``pyproject.toml`` has no positions
(``tomllib`` keeps none): its errors point at the line of the key found by a text search,
else at the ``[tool.tokenlint]`` header.

Validation has two steps. The schema checks the shape of the file on its own; then
:meth:`Config.settle` checks what can only be known once the rules are loaded (rule ids,
names and the option schemas each rule declares), again with lines.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tokenlint.inputs.readlimit import DEFAULT_MAX_FILE_SIZE, ReadRefused, parse_size, read_input
from tokenlint.model import FieldPath, Severity, dotted
from tokenlint.rulekit.registry import RuleLoadError, RuleSet
from tokenlint.yaml.reader import YMap, YSeq, parse_stream

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

CONFIG_NAMES = (".tokenlint.yaml", ".tokenlint.yml")
PYPROJECT = "pyproject.toml"
_PYPROJECT_TABLE = "[tool.tokenlint"
SCHEMA_PATH = Path(__file__).parent.parent / "data" / "config.schema.json"

Locator = Callable[[FieldPath], int | None]
"""The 1-based line of a field path in a configuration file, when it can be known."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration or rule file, where it is and what was expected."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """A configuration (or custom rule file) that cannot be used; exit status 2."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ChartSettings:
    """How to render one chart: values files (one scenario each) and release namespace."""

    values: tuple[Path, ...] = ()
    namespace: str | None = None


@dataclass(frozen=True)
class RunSettings:
    """The configuration resolved against the loaded rules, ready for the engine."""

    rules: RuleSet
    rule_options: Mapping[str, Mapping[str, Any]]
    severity: Mapping[str, Severity]


def _no_lines(path: FieldPath) -> int | None:
    return None


@dataclass(frozen=True)
class Config:
    """Validated settings. ``source`` is the file they came from (None: built-in defaults);
    ``root`` is the directory relative paths are resolved against."""

    source: str | None = None
    root: Path = field(default_factory=Path.cwd)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    trusted_service_accounts: frozenset[tuple[str, str]] = frozenset()
    charts: Mapping[Path, ChartSettings] = field(default_factory=dict)
    custom_rules: tuple[Path, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    warnings: tuple[Problem, ...] = ()
    """Settings that do not stop a run but probably do not do what was meant."""
    locate: Locator = field(default=_no_lines, compare=False, repr=False)

    def problem(self, path: FieldPath, message: str) -> Problem:
        """A problem at ``path`` of this configuration, with its line when known."""
        return Problem(self.source or "<config>", self.locate(path), f"{dotted(path)}: {message}")

    def settle(self, rules: RuleSet, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> RunSettings:
        """Apply the configuration to the loaded rules; ``select``/``ignore`` from the
        command line replace the configured lists.

        Raises ConfigError for names that match no rule and for rule options that do
        not satisfy the schema the rule declares, each with its line; RuleLoadError for
        unknown rules given on the command line.
        """
        problems: list[Problem] = []
        chosen = self._selection(rules, "select", self.select, problems) if not select else list(select)
        dropped = self._selection(rules, "ignore", self.ignore, problems) if not ignore else list(ignore)
        severity: dict[str, Severity] = {}
        for key, value in self.severity.items():
            rule = rules.by_id(key)
            if rule is None:
                problems.append(self.problem(("severity", key), _unknown_rule(key)))
            else:
                severity[rule.meta.id] = value
        options: dict[str, dict[str, Any]] = {}
        for key, given in self.rule_options.items():
            rule = rules.by_id(key)
            if rule is None:
                problems.append(self.problem(("rules", key), _unknown_rule(key)))
                continue
            schema = {"type": "object", "properties": dict(rule.meta.options), "additionalProperties": False}
            problems.extend(schema_problems(schema, given, ("rules", key), self.source or "<config>", self.locate))
            options[rule.meta.id] = dict(given)
        if problems:
            raise ConfigError(problems)
        return RunSettings(rules.select(chosen, dropped), options, severity)

    def _selection(self, rules: RuleSet, key: str, entries: Sequence[str], problems: list[Problem]) -> list[str]:
        valid = []
        for i, entry in enumerate(entries):
            try:
                rules.select([entry])
            except RuleLoadError:
                problems.append(self.problem((key, i), _unknown_rule(entry)))
            else:
                valid.append(entry)
        return valid

    def excludes(self, path: str) -> bool:
        """Whether a file (as displayed: relative to the working directory, or absolute)
        matches an ``exclude`` pattern, itself or through one of its parent folders."""
        if not self.exclude:
            return False
        try:
            relative = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            relative = Path(path).as_posix()
        parts = PurePosixPath(relative).parts
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatchcase(c, p) for p in self.exclude for c in candidates)


def _unknown_rule(entry: str) -> str:
    return f"{entry!r} matches no rule (run 'tokenlint rules' for the list)"


@cache
def config_schema() -> dict[str, Any]:
    """The published schema of the configuration file."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def schema_problems(
    schema: Mapping[str, Any], data: Any, base: FieldPath, source: str, locate: Locator
) -> list[Problem]:
    """Every way ``data`` (found at ``base`` of file ``source``) fails ``schema``, each with
    the line of the offending field, in file order."""
    # Imported here: jsonschema costs a pre-commit run without configuration 60 ms.
    import jsonschema

    # Formats (ipv4, ipv6, ...) are checked with the standard library only, never the network.
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    problems = []
    for error in validator.iter_errors(data):
        path = (*base, *_error_path(error))
        problems.append((locate(path) or 0, Problem(source, locate(path), f"{dotted(path)}: {_message(error)}")))
    return [p for _, p in sorted(problems, key=lambda item: item[0])]


def _error_path(error: ValidationError) -> FieldPath:
    """The path to point at: the error's own path, or the unexpected key of an object
    that has keys it should not have (jsonschema reports the object)."""
    path: FieldPath = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
        for key in error.instance:
            if key not in allowed and not any(re.search(p, key) for p in patterns):
                return (*path, key)
    return path


def _message(error: ValidationError) -> str:
    """jsonschema's message, or the schema's own description of what a pattern means
    (a regular expression is not what a user wants to read)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "pattern" and "description" in schema:
        return f"{error.instance!r} is not {schema['description']}"
    if error.validator == "additionalProperties" and schema.get("properties"):
        return f"unknown key (expected one of: {', '.join(schema['properties'])})"
    if error.context:  # anyOf/oneOf: the alternative that came closest says what was expected
        from jsonschema.exceptions import best_match

        return _message(best_match(error.context))
    return str(error.message)


def yaml_locator(data: Any) -> Locator:
    """Lines of field paths in data read by :mod:`tokenlint.yaml.reader`: the deepest node
    on the path that exists (a missing field points at its parent)."""

    def locate(path: FieldPath) -> int | None:
        node = data
        line: int | None = getattr(data, "line", None)
        for step in path:
            if isinstance(node, YMap) and isinstance(step, str) and step in node:
                line = node.keypos[step][0]
            elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
                line = node.itempos[step][0]
            else:
                break
            node = node[step]
        return line

    return locate


def toml_locator(text: str) -> Locator:
    """Approximate lines in ``pyproject.toml``: from the ``[tool.tokenlint]`` header, each
    step of the path is looked for as a ``[tool.tokenlint.x]`` header or an ``x =`` key."""
    lines = text.splitlines()
    header = next((n for n, t in enumerate(lines) if t.strip().startswith(_PYPROJECT_TABLE)), 0)

    def locate(path: FieldPath) -> int | None:
        at = header
        for step in path:
            if not isinstance(step, str):
                break
            key = re.compile(rf"""^\s*(?:\[.*\b{re.escape(step)}"?\]|"?{re.escape(step)}"?\s*=)""")
            found = next((n for n in range(at, len(lines)) if key.match(lines[n])), None)
            if found is None:
                break
            at = found
        return at + 1

    return locate


def find_config(start: Path) -> Path | None:
    """The nearest ``.tokenlint.yaml`` (or ``.yml``), or ``pyproject.toml`` with a
    ``[tool.tokenlint]`` table, in ``start`` or one of its parents.

    In one folder the dedicated file wins over pyproject.toml, as with ruff and mypy. A
    folder that cannot be searched (no permission) is skipped, as is a file there that
    cannot be read: the search goes on upwards.
    """
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if _is_file(folder / name):
                return folder / name
        pyproject = folder / PYPROJECT
        try:
            if _is_file(pyproject) and _PYPROJECT_TABLE.encode() in read_input(pyproject):
                return pyproject
        except (OSError, ReadRefused):
            continue
    return None


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False where the folder cannot be searched (it raises)."""
    try:
        return path.is_file()
    except OSError:
        return False


def load_config(path: Path | None, display: str | None = None) -> Config:
    """Load and validate a configuration file; None gives the defaults.

    Raises ConfigError listing every problem with its line.
    """
    if path is None:
        return Config()
    shown = display or path.as_posix()
    try:
        raw = read_input(path)
    except ReadRefused as refused:
        raise ConfigError([Problem(shown, None, f"cannot read: {refused.message}")]) from None
    except OSError as exc:
        raise ConfigError([Problem(shown, None, f"cannot read: {exc.strerror or exc}")]) from None
    if path.name == PYPROJECT:
        data, locate = _read_pyproject(raw, shown)
    else:
        data, locate = _read_yaml(raw, shown)
    problems = schema_problems(config_schema(), data, (), shown, locate)
    if problems:
        raise ConfigError(problems)
    config = _build(data, path.resolve().parent, shown, locate)
    root = display_folder(config.root)
    entries = zip(data.get("custom-rules", ()), config.custom_rules, strict=True)
    missing = [
        Problem(shown, locate(("custom-rules", i)), f"custom-rules[{i}]: folder {entry} not found (relative to {root})")
        for i, (entry, folder) in enumerate(entries)
        if not folder.is_dir()
    ]
    if missing:
        raise ConfigError(missing)
    warnings = tuple(
        Problem(shown, locate(("charts", entry)), f"charts: {entry} does not exist (relative to {root})")
        for entry in data.get("charts", {})
        if not (config.root / entry).exists()
    )
    return replace(config, warnings=warnings)


def display_folder(folder: Path) -> str:
    """A folder as messages show it: relative to the working directory when below it."""
    try:
        relative = folder.relative_to(Path.cwd().resolve())
    except ValueError:
        return folder.as_posix()
    return "the working directory" if relative == Path() else relative.as_posix()


def _read_yaml(raw: bytes, shown: str) -> tuple[Any, Locator]:
    documents, errors = parse_stream(raw)
    if errors:
        raise ConfigError([Problem(shown, e.line, e.message) for e in errors])
    found = [d for d in documents if d.data is not None]
    if not found:
        return {}, _no_lines
    if len(found) > 1:
        raise ConfigError([Problem(shown, found[1].line, "expected one YAML document, found several")])
    duplicates = found[0].duplicates
    if duplicates:
        raise ConfigError([Problem(shown, d.second[0], f"{dotted(d.path)}: key written twice") for d in duplicates])
    return found[0].data, yaml_locator(found[0].data)


def _read_pyproject(raw: bytes, shown: str) -> tuple[Any, Locator]:
    text = raw.decode("utf-8", errors="replace")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        # tomllib names no line for errors at the end of the document.
        line = int(found[1]) if found else len(text.splitlines())
        raise ConfigError([Problem(shown, line, f"TOML syntax error: {exc}")]) from None
    table = document.get("tool", {}).get("tokenlint", {})
    return table, toml_locator(text)


def _build(data: Mapping[str, Any], root: Path, shown: str, locate: Locator) -> Config:
    """Settings from data that passed the schema."""
    trusted = set()
    for entry in data.get("trusted-service-accounts", ()):
        namespace, _, name = entry.partition("/")
        trusted.add((namespace, name))
    charts = {
        (root / chart).resolve(): ChartSettings(
            values=tuple((root / v).resolve() for v in settings.get("values", ())),
            namespace=settings.get("namespace"),
        )
        for chart, settings in data.get("charts", {}).items()
    }
    return Config(
        source=shown,
        root=root,
        select=tuple(data.get("select", ())),
        ignore=tuple(data.get("ignore", ())),
        severity={key: Severity.parse(value) for key, value in data.get("severity", {}).items()},
        exclude=tuple(p.rstrip("/") for p in data.get("exclude", ())),
        rule_options={key: dict(value) for key, value in data.get("rules", {}).items()},
        trusted_service_accounts=frozenset(trusted),
        charts=charts,
        custom_rules=tuple((root / folder).resolve() for folder in data.get("custom-rules", ())),
        max_file_size=parse_size(data.get("max-file-size", DEFAULT_MAX_FILE_SIZE)) or DEFAULT_MAX_FILE_SIZE,
        locate=locate,
    )
