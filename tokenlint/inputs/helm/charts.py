"""Helm charts as inputs: render each chart once and hand its templates on as streams.

Every finding on a rendered resource must point into the template the user edits, so
each rendered template becomes a stream whose :class:`TemplateOrigin` maps positions in
the rendered text back to template lines (see :mod:`tokenlint.inputs.helm.render`). The rendered
line is kept only as a debugging field of the location.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tokenlint.inputs.helm.render import RenderedTemplate, RenderOptions, render_chart, scenarios
from tokenlint.model import FieldPath, InputError, Location
from tokenlint.resources.resource import Stream
from tokenlint.yaml.reader import Pos

UNRESOLVED = "line could not be resolved"


@functools.lru_cache(maxsize=256)
def _template_lines(path: str) -> tuple[str, ...]:
    """Template source lines, to find a key's column; empty when not a plain file."""
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


@dataclass(frozen=True)
class TemplateOrigin:
    """A resource rendered from a Helm template."""

    template: RenderedTemplate

    @property
    def path(self) -> str:
        return self.template.template_path

    def location(self, pos: Pos, key: str | None, field_path: FieldPath, exact: bool) -> Location:
        rendered_line = pos[0]
        if key is None and not field_path:  # an error in the rendered text, not a field
            line, note = self.template.nearest(rendered_line)
        else:
            line, note = self.template.locate(rendered_line, field_path)
        if not exact:
            note = "; ".join(filter(None, ["field not present; showing its closest parent", note]))
        if line is None:
            return Location(self.path, 1, 1, note=note or UNRESOLVED, rendered_line=rendered_line)
        column = 1
        lines = _template_lines(self.path)
        if 0 < line <= len(lines):
            text = lines[line - 1]
            found = text.find(key) if key else -1
            column = found + 1 if found >= 0 else len(text) - len(text.lstrip()) + 1
        end = column + len(key) if key else column
        return Location(self.path, line, column, line, end, note=note, rendered_line=rendered_line)


def chart_streams(chart: Path, options: RenderOptions) -> Iterator[Stream | InputError]:
    """The rendered templates of every values scenario of ``chart``, and its errors.

    Each scenario is its own bundle, so two scenarios never see each other's objects.
    Findings name their scenario only when the chart has ``ci/`` scenarios.
    """
    renders, errors = render_chart(chart, options)
    named = len(options.scenario_names(scenarios(chart))) > 1
    for error in errors:
        suffix = f" (values scenario {error.scenario})" if named and error.scenario else ""
        yield InputError(error.path, error.line, error.column, f"{error.message}{suffix}")
    for render in renders:
        bundle = f"{render.chart_path}#{render.scenario}"
        for template in render.templates:
            scenario = render.scenario if named else None
            yield Stream(TemplateOrigin(template), template.text, scenario, bundle, options.namespace)
