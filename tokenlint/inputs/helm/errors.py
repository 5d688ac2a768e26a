"""Helm's refusals as input errors with the file, line and column a user can open."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tokenlint.inputs.helm.linemap import key_path_search
from tokenlint.inputs.helm.tree import ChartTree, load_yaml
from tokenlint.model import FieldPath


@dataclass(frozen=True)
class HelmError:
    """An input error: the chart could not be rendered for this scenario."""

    path: str
    line: int | None
    message: str
    scenario: str | None = None
    column: int | None = None


def missing_dependencies(tree: ChartTree, chart_path: str) -> list[HelmError]:
    """Declared dependencies absent from ``charts/``, as ``helm template`` checks them."""
    meta = load_yaml(tree.files.get("Chart.yaml", b"")) or {}
    if not isinstance(meta, dict):
        return []
    present = set()
    for rel, data in tree.files.items():
        if rel.startswith("charts/") and rel.endswith("/Chart.yaml") and rel.count("/") == 2:
            sub = load_yaml(data)
            if isinstance(sub, dict) and sub.get("name"):
                present.add(str(sub["name"]))
    errors = []
    chart_yaml = tree.display.get("Chart.yaml", f"{chart_path}/Chart.yaml")
    lines = tree.files.get("Chart.yaml", b"").decode("utf-8", "replace").splitlines()
    for dep in meta.get("dependencies") or []:
        if not isinstance(dep, dict) or not dep.get("name") or str(dep["name"]) in present:
            continue
        name = str(dep["name"])
        line = next(
            (
                i + 1
                for i, text in enumerate(lines)
                if re.match(rf"""^\s*-?\s*name:\s*['"]?{re.escape(name)}['"]?\s*$""", text)
            ),
            None,
        )
        errors.append(
            HelmError(
                chart_yaml,
                line,
                f"found in Chart.yaml, but missing in charts/ directory: {name} "
                "(dependencies are never downloaded; run `helm dependency build` first)",
            )
        )
    return errors


# Go's text/template names a place as file:line:column, the column counting bytes from 0.
_TEMPLATE_POS = re.compile(r"((?:[A-Za-z0-9_.-]+/)(?:charts/[A-Za-z0-9_.-]+/)*templates/[^\s:()\"]+):(\d+)(?::(\d+))?")
_SCHEMA_AT = re.compile(r"at '(/[^']*)'")


def error_from(message: str, paths: dict[str, str], tree: ChartTree, chart_path: str, scenario: str) -> HelmError:
    m = _TEMPLATE_POS.search(message)
    if m:
        rel = paths.get(m.group(1))
        # A template Helm knows but we could not map keeps Helm's name.
        shown = tree.display.get(rel, rel) if rel else f"{chart_path}/{m.group(1).split('/', 1)[-1]}"
        column = int(m.group(3)) + 1 if m.group(3) else None
        return HelmError(shown, int(m.group(2)), message, scenario, column)
    return HelmError(chart_path, None, message, scenario)


def schema_error(
    message: str, values_sources: list[tuple[str, bytes]], tree: ChartTree, chart_path: str, scenario: str
) -> HelmError:
    """Point a schema failure at the values file that set the offending key.

    Helm names the key as a JSON pointer (``at '/replicas'``); the last values source
    (in precedence order) spelling that key path wins, as it is the one that took effect.
    """
    m = _SCHEMA_AT.search(message)
    if m:
        path: FieldPath = tuple(
            int(p) if p.isdigit() else p.replace("~1", "/").replace("~0", "~") for p in m.group(1).split("/")[1:]
        )
        for shown, data in reversed(values_sources):
            lines = data.decode("utf-8", "replace").splitlines()
            hit = key_path_search(lines, 0, len(lines), path)
            if hit is not None:
                return HelmError(shown, hit + 1, message, scenario)
    schema = tree.display.get("values.schema.json", f"{chart_path}/values.schema.json")
    return HelmError(schema, None, message, scenario)
