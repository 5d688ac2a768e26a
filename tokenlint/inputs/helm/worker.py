"""The rendering process: Helm's SDK runs here, never in the process that lints.

A chart is untrusted input, and Helm's template language can loop, allocate and recurse
without end (``{{ range until 100000000 }}``, a ``tpl`` that re-enters itself). A Go
runtime cannot be stopped or made to give memory back from Python, and when it runs out
of memory it aborts the whole process. So the SDK is loaded in a child process that the
linting process starts once per run and reuses for every chart
(:mod:`tokenlint.inputs.helm.process`): the child caps its own data segment at the memory limit
before it loads Go, and the parent kills it when a render outlives the time limit. Either
way only the child dies; the parent reports the chart and starts a new child for the next.

Protocol, on the child's standard input and output: one JSON request per line
(``chart``, ``values_files``, ``set_values``, ``release_name``, ``namespace``,
``kube_version``); each answer is a decimal byte count on a line of its own, then that
many bytes of JSON: ``{"rendered": {template name: text}}`` or ``{"error": message}``.
Nothing here imports tokenlint: the child loads only what rendering needs.

usage: python -m tokenlint.inputs.helm.worker MEMORY_MB
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

#: Values that Helm does not set when a render asks for none.
DEFAULT_RELEASE_NAME = "release-name"  # what `helm template` uses without a name
DEFAULT_NAMESPACE = "default"


class RenderFailed(Exception):
    """Helm refused to render; carries Helm's message."""


def clean(message: str) -> str:
    """Helm's message without its ``Error:`` prefix and trailing blanks."""
    message = message.strip()
    if message.startswith("Error: "):
        message = message[len("Error: ") :]
    return "\n".join(line.rstrip() for line in message.splitlines())


def merge_maps(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``mergeMaps`` for ``-f`` files: maps merge deeply, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def overlay_set(base: Any, over: Any) -> Any:
    """Apply one parsed ``--set`` expression the way ``strvals.ParseInto`` would.

    Unlike ``-f`` merging, ``--set list[1]=x`` sets one element and keeps the others;
    the parser returns padding ``None`` for the untouched indices.
    """
    if isinstance(over, dict) and isinstance(base, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = overlay_set(out.get(key), value)
        return out
    if isinstance(over, list) and isinstance(base, list):
        merged = list(base) + [None] * max(0, len(over) - len(base))
        for i, value in enumerate(over):
            if value is not None or i >= len(base):
                merged[i] = overlay_set(merged[i], value)
        return merged
    return over


class SdkRenderer:
    """The Helm SDK (``helm_python``), loaded in this process."""

    def __init__(self) -> None:
        import helm_python

        self._helm = helm_python

    def _values(self, values_files: list[str], set_values: list[str]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for path in values_files:
            try:
                text = Path(path).read_text(encoding="utf-8")
                parsed = self._helm.values_from_yaml(text) if text.strip() else {}
            except OSError as exc:
                raise RenderFailed(f"cannot read values file {path}: {exc.strerror}") from exc
            except self._helm.HelmError as exc:
                raise RenderFailed(f"{path}: {clean(str(exc))}") from exc
            merged = merge_maps(merged, parsed or {})
        for expression in set_values:
            try:
                merged = overlay_set(merged, self._helm.parse_set_string(expression))
            except self._helm.HelmError as exc:
                raise RenderFailed(f"--set {expression}: {clean(str(exc))}") from exc
        return merged

    def render(self, request: dict[str, Any]) -> dict[str, str]:
        """Helm template name -> rendered text, for one chart and one set of values."""
        helm = self._helm
        values = self._values(request["values_files"], request["set_values"])
        opts: dict[str, Any] = {
            "name": request["release_name"] or DEFAULT_RELEASE_NAME,
            "namespace": request["namespace"] or DEFAULT_NAMESPACE,
            "is_install": True,
        }
        if request["kube_version"]:
            opts["kube_version"] = request["kube_version"]
        try:
            with helm.Chart.load(request["chart"]) as loaded:
                # Chart.render does not expose kube_version, but the C ABI's render
                # options accept it (as `helm template --kube-version` does); call it
                # directly through the package's own binding.
                from helm_python import _native

                payload = _native.call_string("helm_render", loaded._raw(), json.dumps(values), json.dumps(opts))
        except helm.HelmError as exc:
            raise RenderFailed(clean(str(exc))) from exc
        rendered: dict[str, str] = json.loads(payload)
        return rendered


def _limit_memory(megabytes: int) -> None:
    """Cap the data segment: Go's heap counts, its address-space reservations do not.

    Past the cap Go's allocator fails and the runtime aborts this process, which is the
    point. Where the platform has no such limit (Windows), only the time limit applies.
    """
    try:
        import resource
    except ImportError:
        return
    limit = megabytes << 20
    with contextlib.suppress(ValueError, OSError, AttributeError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _exit_with_parent(parent: int) -> None:
    """End this process when the linting process is gone, even in the middle of a render."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _answer(out: IO[bytes], answer: dict[str, Any]) -> None:
    data = json.dumps(answer).encode("utf-8")
    out.write(f"{len(data)}\n".encode("ascii"))
    out.write(data)
    out.flush()


def serve(requests: IO[bytes], out: IO[bytes]) -> None:
    """Answer render requests until the input ends."""
    renderer = SdkRenderer()
    for line in requests:
        request = json.loads(line)
        try:
            answer: dict[str, Any] = {"rendered": renderer.render(request)}
        except RenderFailed as exc:
            answer = {"error": str(exc)}
        _answer(out, answer)


def main(argv: list[str]) -> int:
    _limit_memory(int(argv[1]))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except ImportError as exc:
        _answer(sys.stdout.buffer, {"error": f"cannot load the Helm SDK: {exc}"})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
