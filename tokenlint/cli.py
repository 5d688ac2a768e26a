"""The command line: options in, engine, reporter, exit status out. Nothing else lives here."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from tokenlint import __version__
from tokenlint.app.config import Config, ConfigError, RunSettings, find_config, load_config
from tokenlint.engine.baseline import BaselineError, baseline_json, load_baseline
from tokenlint.engine.cache import FileCache, default_directory
from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.engine.scope import ChangeScope
from tokenlint.engine.suppress import SuppressOptions, rule_names
from tokenlint.inputs.discover import discover, display_path
from tokenlint.inputs.helm.options import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, RenderOptions
from tokenlint.model import InputError, Severity
from tokenlint.report import FORMATTERS
from tokenlint.report.result import Report
from tokenlint.resources.resource import Stream
from tokenlint.rulekit.registry import RuleLoadError, RuleSet, load_rules

if TYPE_CHECKING:
    from tokenlint.fix.suggest import Suggestion

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Find the links that let a stolen service account token walk to cluster admin.",
)

EXIT_USAGE = 2


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    html = "html"


def _version(value: bool) -> None:
    if value:
        from tokenlint.k8s.bootstrap import kubernetes_version

        typer.echo(f"tokenlint {__version__} (built-in roles: Kubernetes {kubernetes_version()} bootstrap policy)")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """tokenlint: Kubernetes service account token linter."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"tokenlint: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        help="Settings file (default: the nearest .tokenlint.yaml, or pyproject.toml with [tool.tokenlint],"
        " in the working directory or above).",
    ),
]


@contextmanager
def _usage_errors() -> Iterator[None]:
    """An unusable configuration or rule is a usage error: one ``file:line: message`` each."""
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except RuleLoadError as exc:
        raise _fail(str(exc)) from None


def _load(config_file: Path | None) -> tuple[Config, RuleSet]:
    """The configuration (``--config`` or the nearest file) and every rule, selected or not,
    the custom rules of the folders it names included."""
    config = _config(config_file)
    with _usage_errors():
        folders = config.custom_rules
        if not folders:  # custom rules need jsonschema, 60 ms of a pre-commit run
            return config, load_rules()
        from tokenlint.rulekit.customrules import load_custom_rules

        return config, load_rules(extra=load_custom_rules(folders, [display_path(f) for f in folders]))


def _config(config_file: Path | None) -> Config:
    """The configuration: ``--config`` or the nearest file."""
    path = config_file or find_config(Path.cwd())
    with _usage_errors():
        config = load_config(path, display_path(path) if path is not None else None)
    for warning in config.warnings:
        typer.echo(f"{warning.path}:{warning.line or 1}: warning: {warning.message}", err=True)
    return config


def _inputs(
    paths: Sequence[str], render: RenderOptions, config: Config, kustomize: Path | None = None
) -> Iterator[Stream | InputError]:
    """The inputs of a run as the configuration shapes them: excludes, charts, file size;
    ``kustomize`` names the binary that renders kustomizations."""
    return discover(
        paths,
        render,
        excluded=config.excludes,
        chart_options=_chart_options(config),
        max_file_size=config.max_file_size,
        kustomize=kustomize,
    )


def _settle(config: Config, rules: RuleSet, select: list[str], ignore: list[str]) -> RunSettings:
    """The rules and options of a run; command-line lists win over the configured ones."""
    with _usage_errors():
        return config.settle(rules, _split(select), _split(ignore))


def _split(values: list[str]) -> list[str]:
    """``--select TL001,TL003`` and repeated ``--select`` both work."""
    return [part for value in values for part in value.split(",") if part.strip()]


def _use_color(output: Path | None) -> bool:
    """Colour only on a terminal, never with NO_COLOR set to a non-empty value (no-color.org)."""
    return output is None and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


# Options that both 'lint' and 'baseline create' take: a baseline must see the same findings.
PathsArgument = Annotated[list[str], typer.Argument(help="Files, directories, Helm charts, or - for standard input.")]
SelectOption = Annotated[list[str], typer.Option("--select", help="Only these rules (ids, names or id prefixes).")]
IgnoreOption = Annotated[list[str], typer.Option("--ignore", help="Skip these rules (ids, names or id prefixes).")]
NamespaceOption = Annotated[
    Optional[str],
    typer.Option(
        "--namespace",
        "-n",
        help="Namespace of resources that name none, and Helm's release namespace (default: 'default').",
    ),
]
ValuesOption = Annotated[
    list[Path], typer.Option("--values", "-f", help="Helm values file for every chart; repeatable, later wins.")
]
SetOption = Annotated[
    list[str], typer.Option("--set", help="Helm value as key=value (Helm's --set syntax); repeatable.")
]
ReleaseNameOption = Annotated[
    Optional[str], typer.Option("--release-name", help="Helm release name (default: Helm's 'release-name').")
]
KubeVersionOption = Annotated[
    Optional[str], typer.Option("--kube-version", help="Kubernetes version charts are rendered for.")
]
HelmOption = Annotated[
    Optional[Path], typer.Option("--helm", help="Render charts with this helm binary instead of the embedded SDK.")
]
RenderTimeoutOption = Annotated[
    float,
    typer.Option("--render-timeout", min=0.1, help="Seconds one render of a chart may take before it is given up."),
]
RenderMemoryOption = Annotated[
    int, typer.Option("--render-memory", min=256, help="Megabytes of memory Helm may use to render a chart.")
]
KustomizeOption = Annotated[
    Optional[Path],
    typer.Option(
        "--kustomize",
        help="Render kustomizations with this kustomize (or kubectl) binary (default: kustomize, else kubectl,"
        " on PATH).",
    ),
]


def _chart_options(config: Config) -> Callable[[Path, RenderOptions], RenderOptions]:
    """Per-chart settings from the configuration: values scenarios and release namespace.

    ``--namespace`` on the command line wins over a configured release namespace.
    """

    def adjust(chart: Path, options: RenderOptions) -> RenderOptions:
        settings = config.charts.get(chart.resolve())
        if settings is None:
            return options
        scenario_values = tuple(Path(display_path(v)) for v in settings.values)
        return replace(options, scenario_values=scenario_values, namespace=options.namespace or settings.namespace)

    return adjust


def _render_options(
    values: list[Path],
    set_values: list[str],
    release_name: str | None,
    namespace: str | None,
    kube_version: str | None,
    helm: Path | None,
    render_timeout: float,
    render_memory: int,
) -> RenderOptions:
    """The chart options every command that renders takes, as the renderer wants them."""
    return RenderOptions(
        tuple(values),
        tuple(set_values),
        release_name,
        namespace,
        kube_version,
        helm,
        timeout_s=render_timeout,
        memory_mb=render_memory,
    )


def _lint(
    paths: list[str],
    config_file: Path | None,
    select: list[str],
    ignore: list[str],
    render: RenderOptions,
    baseline_file: Path | None = None,
    cache_dir: Path | None = None,
    scope: ChangeScope | None = None,
    include_defaults: bool = False,
    observe: Callable[[Stream], None] | None = None,
    kustomize: Path | None = None,
) -> tuple[LintResult, RuleSet]:
    """Configuration -> rules -> inputs -> engine: the run shared by 'lint', 'fix' and 'baseline create'.

    With a ``scope``, only the findings that touch the changed files are kept; ``observe``
    sees each input as the engine reads it.
    """
    config, rules = _load(config_file)
    settings = _settle(config, rules, select, ignore)
    try:
        baseline = load_baseline(baseline_file, display_path(baseline_file)) if baseline_file else None
    except BaselineError as exc:
        raise _fail(str(exc)) from None
    inputs = _inputs(paths, render, config, kustomize)
    if observe is not None:
        inputs = _observed(inputs, observe)
    decide = SuppressOptions(config.trusted_service_accounts, baseline, known_rules=rule_names(rules))
    options = LintOptions(
        namespace=render.namespace or "default",
        rule_options=settings.rule_options,
        severity=settings.severity,
        suppress=decide,
        changed=scope.touches if scope is not None else None,
        include_defaults=include_defaults,
    )
    cache = (
        FileCache.for_run(cache_dir, settings.rules, settings.rule_options, options.namespace) if cache_dir else None
    )
    result = lint(inputs, settings.rules, options, cache)
    return (scope.restrict(result) if scope is not None else result), settings.rules


def _observed(
    inputs: Iterable[Stream | InputError], observe: Callable[[Stream], None]
) -> Iterator[Stream | InputError]:
    for item in inputs:
        if isinstance(item, Stream):
            observe(item)
        yield item


def _remember_digests(digests: dict[str, str]) -> Callable[[Stream], None]:
    """Record what each input's bytes were when linted, so that a later edit can tell a change."""
    from tokenlint.fix.plan import digest

    def remember(stream: Stream) -> None:
        digests[stream.origin.path] = digest(stream.data)

    return remember


def _suggestions(result: LintResult, digests: dict[str, str]) -> dict[str, Suggestion]:
    from tokenlint.fix.suggest import suggestions

    return suggestions(result.findings, digests)


def _echo_errors(result: LintResult) -> None:
    """Input errors on standard error, one ``file:line:column: message`` each."""
    for error in result.errors:
        where = error.path + (f":{error.line}:{error.column or 1}" if error.line else "")
        typer.echo(f"{where}: {error.message}", err=True)


@app.command("lint")
def lint_command(
    paths: PathsArgument,
    output_format: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    sarif_output: Annotated[
        Optional[Path],
        typer.Option(
            "--sarif-output",
            help="Also write a SARIF report to this file, from the same run (CI: annotations + SARIF).",
        ),
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Lowest severity that fails the run: info, low, medium, high, critical.")
    ] = "low",
    select: SelectOption = [],  # noqa: B006
    ignore: IgnoreOption = [],  # noqa: B006
    namespace: NamespaceOption = None,
    values: ValuesOption = [],  # noqa: B006
    set_values: SetOption = [],  # noqa: B006
    release_name: ReleaseNameOption = None,
    kube_version: KubeVersionOption = None,
    helm: HelmOption = None,
    render_timeout: RenderTimeoutOption = DEFAULT_TIMEOUT_S,
    render_memory: RenderMemoryOption = DEFAULT_MEMORY_MB,
    kustomize: KustomizeOption = None,
    config_file: ConfigOption = None,
    baseline_file: Annotated[
        Optional[Path],
        typer.Option("--baseline", help="Hide the findings accepted in this baseline file; report only new ones."),
    ] = None,
    show_suppressed: Annotated[
        bool, typer.Option("--show-suppressed", help="Also show suppressed findings, with their justification.")
    ] = False,
    changed_only: Annotated[
        bool,
        typer.Option(
            "--changed-only",
            help="PATHS are changed files (as pre-commit passes them): lint the --context paths and report only"
            " findings in those files, or with a chain through them.",
        ),
    ] = False,
    context: Annotated[
        list[str],
        typer.Option(
            "--context",
            help="Read these paths too (a cluster dump, the rest of the repository) to resolve accounts, bindings,"
            " roles and policies, and report only findings in PATHS. With --changed-only: what to lint (default: the"
            " working directory).",
        ),
    ] = [],  # noqa: B006
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Parse every file again; read and write no cache.")
    ] = False,
    cache_dir: Annotated[
        Optional[Path],
        typer.Option("--cache-dir", help="Cache folder (default: $TOKENLINT_CACHE_DIR, else the user cache folder)."),
    ] = None,
    include_defaults: Annotated[
        bool,
        typer.Option(
            "--include-defaults",
            help="Also report findings on Kubernetes' own objects (bootstrap policy, control-plane accounts), at info.",
        ),
    ] = False,
) -> None:
    """Lint Kubernetes manifests and Helm charts."""
    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    render = _render_options(
        values, set_values, release_name, namespace, kube_version, helm, render_timeout, render_memory
    )
    cache = None if no_cache else cache_dir or default_directory()
    if changed_only:
        inputs, scope = (context or ["."]), ChangeScope.of(paths)
    elif context:
        # Read the context for what it resolves; report only what lies in PATHS.
        inputs, scope = [*paths, *context], ChangeScope.of(paths, context_only=True)
    else:
        inputs, scope = paths, None
    digests: dict[str, str] = {}
    observe = _remember_digests(digests) if output_format is Format.sarif or sarif_output else None
    result, rules = _lint(
        inputs, config_file, select, ignore, render, baseline_file, cache, scope, include_defaults, observe, kustomize
    )
    suggested = _suggestions(result, digests) if observe is not None else {}
    report = Report(
        result,
        rules,
        fail_on=threshold,
        color=_use_color(output),
        show_suppressed=show_suppressed,
        suggestions=suggested,
    )
    if sarif_output is not None:
        _write(FORMATTERS[Format.sarif.value](report), sarif_output)
    _write(FORMATTERS[output_format.value](report), output)
    raise typer.Exit(report.exit_code())


def _write(text: str, output: Path | None) -> None:
    """The report to standard output, or to ``output``."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None


baseline_app = typer.Typer(
    no_args_is_help=True, help="Accept the findings of today so that only new findings fail a run."
)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("create")
def baseline_create_command(
    file: Annotated[Path, typer.Argument(help="The baseline file to write (JSON).")],
    paths: PathsArgument,
    select: SelectOption = [],  # noqa: B006
    ignore: IgnoreOption = [],  # noqa: B006
    namespace: NamespaceOption = None,
    values: ValuesOption = [],  # noqa: B006
    set_values: SetOption = [],  # noqa: B006
    release_name: ReleaseNameOption = None,
    kube_version: KubeVersionOption = None,
    helm: HelmOption = None,
    render_timeout: RenderTimeoutOption = DEFAULT_TIMEOUT_S,
    render_memory: RenderMemoryOption = DEFAULT_MEMORY_MB,
    kustomize: KustomizeOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Write the fingerprints of the current unsuppressed findings to FILE, for --baseline."""
    render = _render_options(
        values, set_values, release_name, namespace, kube_version, helm, render_timeout, render_memory
    )
    result, _ = _lint(paths, config_file, select, ignore, render, kustomize=kustomize)
    if result.errors:
        # A baseline of a partial run would hide nothing of the inputs that failed.
        _echo_errors(result)
        raise _fail(f"{file} not written: fix the input errors first")
    accepted = [f for f in result.findings if not f.suppressed]
    try:
        file.write_text(baseline_json(accepted), encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {file}: {exc.strerror or exc}") from None
    typer.echo(f"{file}: {len(accepted)} finding{'' if len(accepted) == 1 else 's'} accepted")


@app.command("fix")
def fix_command(
    paths: PathsArgument,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff instead of writing files.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 when something would change.")] = False,
    policy_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--policy-dir", help="Folder for new NetworkPolicy files (default: beside the namespace's workloads)."
        ),
    ] = None,
    select: SelectOption = [],  # noqa: B006
    ignore: IgnoreOption = [],  # noqa: B006
    namespace: NamespaceOption = None,
    values: ValuesOption = [],  # noqa: B006
    set_values: SetOption = [],  # noqa: B006
    release_name: ReleaseNameOption = None,
    kube_version: KubeVersionOption = None,
    helm: HelmOption = None,
    render_timeout: RenderTimeoutOption = DEFAULT_TIMEOUT_S,
    render_memory: RenderMemoryOption = DEFAULT_MEMORY_MB,
    kustomize: KustomizeOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Close the links that are safe to close in plain manifests; say what needs a person."""
    from tokenlint.fix.plan import plan_fixes  # round-trip YAML: never paid by 'lint'
    from tokenlint.fix.show import describe
    from tokenlint.fix.write import unified_diff, write_plan

    render = _render_options(
        values, set_values, release_name, namespace, kube_version, helm, render_timeout, render_memory
    )
    digests: dict[str, str] = {}
    observe = _remember_digests(digests)
    result, rules = _lint(paths, config_file, select, ignore, render, observe=observe, kustomize=kustomize)
    advice = {rule.meta.id: rule.meta.fix_advice for rule in rules.rules if rule.meta.fix_advice}
    plan = plan_fixes(result.findings, digests, advice, policy_dir)
    failed = {} if diff or check else write_plan(plan)
    sys.stdout.write(unified_diff(plan) if diff else describe(plan, failed, written=not check))
    _echo_errors(result)
    if result.errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(1 if (check and plan.after) or failed or plan.left_alone else 0)


class PathsFormat(StrEnum):
    text = "text"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"
    html = "html"


@app.command("paths")
def paths_command(
    paths: PathsArgument,
    output_format: Annotated[PathsFormat, typer.Option("--format", help="View format.")] = PathsFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the view to this file.")] = None,
    namespace: NamespaceOption = None,
    values: ValuesOption = [],  # noqa: B006
    set_values: SetOption = [],  # noqa: B006
    release_name: ReleaseNameOption = None,
    kube_version: KubeVersionOption = None,
    helm: HelmOption = None,
    render_timeout: RenderTimeoutOption = DEFAULT_TIMEOUT_S,
    render_memory: RenderMemoryOption = DEFAULT_MEMORY_MB,
    kustomize: KustomizeOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Show, per service account, what its token reaches and which workloads carry it."""
    render = _render_options(
        values, set_values, release_name, namespace, kube_version, helm, render_timeout, render_memory
    )
    config = _config(config_file)
    from tokenlint.report.paths import PATHS_FORMATTERS  # not paid by 'lint', pre-commit's command
    from tokenlint.report.pathsview import collect

    view = collect(_inputs(paths, render, config, kustomize), LintOptions(namespace=render.namespace or "default"))
    _write(PATHS_FORMATTERS[output_format.value](view), output)
    raise typer.Exit(EXIT_USAGE if view.errors else 0)


class WhoCanFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("who-can")
def who_can_command(
    verb: Annotated[str, typer.Argument(help="The request's verb: get, list, create, impersonate, bind...")],
    resource: Annotated[
        str, typer.Argument(help="RESOURCE[.GROUP][/SUBRESOURCE]: pods/exec, secrets, deployments.apps, nodes/proxy.")
    ],
    paths: PathsArgument,
    request_namespace: Annotated[
        Optional[str],
        typer.Option("--namespace", "-n", help="Namespace of the request (default: any namespace, or cluster-wide)."),
    ] = None,
    output_format: Annotated[WhoCanFormat, typer.Option("--format", help="View format.")] = WhoCanFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the view to this file.")] = None,
    values: ValuesOption = [],  # noqa: B006
    set_values: SetOption = [],  # noqa: B006
    release_name: ReleaseNameOption = None,
    kube_version: KubeVersionOption = None,
    helm: HelmOption = None,
    config_file: ConfigOption = None,
) -> None:
    """Show which subjects may make a request, through which binding, role and rule, and which
    workloads carry the tokens of those service accounts; offline, from files, charts and dumps."""
    from tokenlint.report.whocan import WHO_CAN_FORMATTERS
    from tokenlint.report.whocanview import Request, collect

    try:
        request = Request.parse(verb, resource, request_namespace)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    render = RenderOptions(tuple(values), tuple(set_values), release_name, None, kube_version, helm)
    view = collect(_inputs(paths, render, _config(config_file)), request)
    _write(WHO_CAN_FORMATTERS[output_format.value](view), output)
    raise typer.Exit(EXIT_USAGE if view.errors else 0)


@app.command("export")
def export_command(
    output_format: Annotated[str, typer.Option("--format", help="vap (ValidatingAdmissionPolicy) or kyverno.")],
    action: Annotated[
        list[str], typer.Option("--action", help="audit, warn or deny; repeatable (default: warn and audit).")
    ] = [],  # noqa: B006
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the policies to this file.")] = None,
    docs_url: Annotated[
        Optional[str], typer.Option("--docs-url", help="Where the rule pages are published, for the policies' links.")
    ] = None,
    select: SelectOption = [],  # noqa: B006
    ignore: IgnoreOption = [],  # noqa: B006
    config_file: ConfigOption = None,
) -> None:
    """Write admission policies that enforce the single-resource rules in a cluster."""
    from tokenlint.report.export import Action, ExportFormat, ExportOptions, export

    config, rules = _load(config_file)
    settings = _settle(config, rules, select, ignore)
    try:
        chosen = ExportFormat(output_format)
        actions = frozenset(Action(a) for a in _split(action))
        options = ExportOptions(actions, config.trusted_service_accounts, settings.rule_options, docs_url)
        text = export(settings.rules, chosen, options)
    except ValueError as exc:  # an unknown format or action, or deny with warn
        raise _fail(str(exc)) from None
    _write(text, output)


@app.command("rules")
def rules_command(config_file: ConfigOption = None) -> None:
    """List the available rules."""
    for rule in _load(config_file)[1].rules:
        meta = rule.meta
        typer.echo(f"{meta.id}  {meta.name:<34} {meta.severity.label:<8} {meta.summary}")


@app.command("explain")
def explain_command(
    rule_id: Annotated[str, typer.Argument(help="A rule id (TL001) or name.")], config_file: ConfigOption = None
) -> None:
    """Print one rule's documentation."""
    rule = _load(config_file)[1].by_id(rule_id)
    if rule is None:
        raise _fail(f"unknown rule {rule_id!r}: run 'tokenlint rules' for the list")
    meta = rule.meta
    typer.echo(f"{meta.id} {meta.name} (default severity: {meta.severity.label})\n")
    typer.echo(meta.help.rstrip())


def run() -> None:
    """Console-script entry point.

    The process lints once and exits, and what it builds is acyclic (freed by reference
    counting), so the cyclic collector would only rescan the whole bundle, a fifth of a
    pre-commit run, to find nothing. The engine pauses it for library callers too, but
    only while it reads; here it stays off until the process ends.

    For the same reason the process ends without freeing what it built, object by
    object, which takes as long as a pre-commit run's rules (as mypy does): every file
    tokenlint writes is closed by then, so only the standard streams need flushing.
    """
    gc.disable()
    try:
        app()
    except SystemExit as done:
        if done.code is not None and not isinstance(done.code, int):
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(done.code or 0)
