"""GitOps objects that deploy what the input does not hold: named, never silently skipped.

A Flux ``HelmRelease`` or ``Kustomization``, or an Argo CD ``Application`` or
``ApplicationSet``, points at what is really deployed: a chart or a path in a Git
repository. tokenlint never fetches it, so a run whose input is such objects would say
"0 findings" about manifests it never saw. Each one therefore becomes a notice (at info
level; it does not change the exit status) that names the object and the source it did
not lint, so that the user lints that path or chart too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tokenlint.model import FieldPath, Notice
from tokenlint.resources.resource import Resource

_KINDS = {
    ("helm.toolkit.fluxcd.io", "HelmRelease"),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"),
    ("argoproj.io", "Application"),
    ("argoproj.io", "ApplicationSet"),
}


def is_gitops(resource: Resource) -> bool:
    """A Flux HelmRelease/Kustomization or an Argo CD Application/ApplicationSet."""
    group = resource.ref.api_version.partition("/")[0]
    return (group, resource.kind) in _KINDS


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _argo_sources(spec: Any, prefix: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if not isinstance(spec, dict):
        return
    sources: list[tuple[FieldPath, Any]] = [(("source",), spec.get("source"))]
    if isinstance(spec.get("sources"), list):
        sources += [(("sources", i), s) for i, s in enumerate(spec["sources"])]
    for path, source in sources:
        if not isinstance(source, dict):
            continue
        repo = _text(source.get("repoURL")) or "an unnamed repository"
        what = f"chart {source['chart']}" if _text(source.get("chart")) else f"path {source.get('path') or '.'}"
        revision = f" at {source['targetRevision']}" if _text(source.get("targetRevision")) else ""
        yield (*prefix, *path), f"{what} of {repo}{revision}"


def _described(resource: Resource) -> Iterator[tuple[FieldPath, str]]:
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return
    if resource.kind == "Application":
        yield from _argo_sources(spec, ("spec",))
    elif resource.kind == "ApplicationSet":
        template = spec.get("template")
        yield from _argo_sources(
            template.get("spec") if isinstance(template, dict) else None, ("spec", "template", "spec")
        )
    elif resource.kind == "Kustomization":
        ref = _mapping(spec.get("sourceRef"))
        source = f"{ref.get('kind', 'source')} {ref.get('name', '?')}"
        yield ("spec", "path"), f"path {spec.get('path') or '.'} of {source}"
    else:
        chart = spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, dict) else None
        if isinstance(chart_spec, dict):
            ref = _mapping(chart_spec.get("sourceRef"))
            yield (
                ("spec", "chart"),
                f"chart {chart_spec.get('chart', '?')} of {ref.get('kind', 'source')} {ref.get('name', '?')}",
            )
        elif isinstance(spec.get("chartRef"), dict):
            ref = spec["chartRef"]
            yield ("spec", "chartRef"), f"chart of {ref.get('kind', 'source')} {ref.get('name', '?')}"


def notices(resources: Iterable[Resource]) -> list[Notice]:
    """One notice per source of every GitOps object among ``resources``, each once."""
    out: dict[tuple[str, int, str], Notice] = {}
    for resource in resources:
        if not is_gitops(resource):
            continue
        for path, source in _described(resource):
            where = resource.locate(path)
            message = (
                f"{resource.ref.display()} deploys {source}, which was not linted: tokenlint does not fetch"
                " GitOps sources; lint that path or chart too"
            )
            out.setdefault((where.path, where.line, message), Notice(where.path, where.line, where.column, message))
    return list(out.values())
