"""Run Helm on a chart, bounded in time and memory, and return what each template renders.

Two renderers run the same Helm code:

* the Helm SDK embedded by ``helm-python-sdk``, run in a child process
  (:mod:`tokenlint.inputs.helm.worker`) that is started once per run and reused for every chart
  — the default whenever the package is installed;
* a ``helm`` binary (``--helm PATH``, or ``helm`` on PATH when the SDK is absent),
  driven as ``helm template``, one process per render.

Both are bounded: a render that runs longer than the time limit is killed, a process
that grows past the memory limit dies, and output larger than :data:`OUTPUT_LIMIT` is
refused. Each of those is a :class:`RenderLimit`, which the caller reports as an input
error naming the chart; the run goes on with a fresh child.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from tokenlint.inputs.helm.options import RenderOptions
from tokenlint.inputs.helm.worker import DEFAULT_NAMESPACE, DEFAULT_RELEASE_NAME, RenderFailed, clean

__all__ = ["OUTPUT_LIMIT", "RenderFailed", "RenderLimit", "Renderer", "pick_renderer", "renderer_name"]

#: The most rendered text one render may return. Helm keeps a release in a Secret of at
#: most 1 MiB after compression, so a chart that can be installed renders far less.
OUTPUT_LIMIT = 64 << 20


class RenderLimit(RenderFailed):
    """A render went past the time, memory or output limit; the chart is given up."""


class Renderer:
    """Renders a chart at a path; returns Helm template name -> rendered text."""

    name = "abstract"

    def render(self, chart: Path, options: RenderOptions, values_files: list[Path]) -> dict[str, str]:
        raise NotImplementedError


def _request(chart: Path, options: RenderOptions, values_files: list[Path]) -> dict[str, Any]:
    """A render request; paths are absolute, because the child keeps the working
    directory it started in."""
    return {
        "chart": str(chart.absolute()),
        "values_files": [str(p.absolute()) for p in values_files],
        "set_values": list(options.set_values),
        "release_name": options.release_name,
        "namespace": options.namespace,
        "kube_version": options.kube_version,
    }


def _memory_note(stderr: IO[bytes]) -> bool:
    """Whether the Go runtime (or the C allocator under it) said it ran out of memory
    before it aborted: ``fatal error: out of memory``, ``runtime: cannot allocate memory``."""
    stderr.seek(0)
    head = stderr.read(1 << 16)
    return b"out of memory" in head or b"cannot allocate memory" in head


class WorkerRenderer(Renderer):
    """The Helm SDK in a child process, started on first use and reused afterwards."""

    name = "sdk"

    def __init__(self, timeout_s: float, memory_mb: int) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: IO[bytes] | None = None
        self.started = 0  # child processes started so far (one unless a limit was hit)

    def _start(self) -> subprocess.Popen[bytes]:
        # Kept open for the child's life (closed by close()): Go writes its crash report here.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "tokenlint.inputs.helm.worker", str(self.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._answers = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=self._read, args=(proc.stdout, self._answers), daemon=True).start()
        self.started += 1
        return proc

    @staticmethod
    def _read(stdout: IO[bytes], answers: queue.Queue[bytes | None]) -> None:
        """Hand each answer to the waiting caller; None when the child is gone."""
        try:
            while True:
                header = stdout.readline()
                if not header.strip().isdigit():
                    break
                size = int(header)
                if size > OUTPUT_LIMIT:
                    answers.put(b"")  # the caller stops the child: nothing more is read
                    return
                answers.put(stdout.read(size))
        except (OSError, ValueError):
            pass
        answers.put(None)

    def close(self) -> None:
        """Stop the child; the next render starts a new one."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def render(self, chart: Path, options: RenderOptions, values_files: list[Path]) -> dict[str, str]:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._proc = self._start()
        proc = self._proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(_request(chart, options, values_files)).encode("utf-8") + b"\n")
            proc.stdin.flush()
            answer = self._answers.get(timeout=self.timeout_s)
        except queue.Empty:
            self.close()
            raise RenderLimit(f"rendering took longer than the time limit of {self.timeout_s:g} s") from None
        except OSError:
            answer = None  # the child is gone: its exit says why
        if answer is None:
            proc.wait()
            memory = self._stderr is not None and _memory_note(self._stderr)
            self.close()
            if memory:
                raise RenderLimit(f"rendering used more than the memory limit of {self.memory_mb} MB")
            raise RenderLimit(f"the rendering process ended unexpectedly (exit status {proc.returncode})")
        if not answer:
            self.close()
            raise RenderLimit(f"rendered output is larger than {OUTPUT_LIMIT >> 20} MB")
        reply = json.loads(answer)
        if "error" in reply:
            raise RenderFailed(reply["error"])
        rendered: dict[str, str] = reply["rendered"]
        return rendered


def _limits(memory_mb: int, output_bytes: int) -> None:
    """In a ``helm`` child before it starts: cap its data segment and the files it writes."""
    import resource

    memory = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))


class BinaryRenderer(Renderer):
    """A ``helm`` executable, run as ``helm template`` without cluster access."""

    name = "binary"

    def __init__(self, binary: Path, timeout_s: float, memory_mb: int) -> None:
        self.binary = binary
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb

    def render(self, chart: Path, options: RenderOptions, values_files: list[Path]) -> dict[str, str]:
        argv = [
            str(self.binary),
            "template",
            options.release_name or DEFAULT_RELEASE_NAME,
            str(chart),
            # Pinned so the result never depends on the kubeconfig's current namespace.
            "--namespace",
            options.namespace or DEFAULT_NAMESPACE,
        ]
        for path in values_files:
            argv += ["--values", str(path)]
        for expression in options.set_values:
            argv += ["--set", expression]
        if options.kube_version:
            argv += ["--kube-version", options.kube_version]
        posix = sys.platform != "win32"
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=(lambda: _limits(self.memory_mb, OUTPUT_LIMIT)) if posix else None,  # noqa: PLW1509
                )
            except OSError as exc:
                raise RenderFailed(f"cannot run {self.binary}: {exc.strerror}") from exc
            try:
                code = proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RenderLimit(f"helm template took longer than the time limit of {self.timeout_s:g} s") from None
            if out.tell() >= OUTPUT_LIMIT:
                raise RenderLimit(f"rendered output is larger than {OUTPUT_LIMIT >> 20} MB")
            if code != 0:
                if _memory_note(err):
                    raise RenderLimit(f"helm template used more than the memory limit of {self.memory_mb} MB")
                err.seek(0)
                raise RenderFailed(clean(err.read().decode("utf-8", "replace")) or f"helm exited {code}")
            out.seek(0)
            return split_helm_output(out.read().decode("utf-8", "replace"))


def split_helm_output(output: str) -> dict[str, str]:
    """Group ``helm template`` output by its ``# Source:`` comments.

    Helm sorts documents by kind, so one template's documents may be scattered; they
    are gathered in output order and joined with ``---``. The ``# Source:`` lines are
    dropped: they are Helm's, not the template's.
    """
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines(keepends=True):
        if line.rstrip() == "---":
            current = None
            continue
        if line.startswith("# Source: ") and current is None:
            current = groups.setdefault(line[len("# Source: ") :].strip(), [])
            current.append("")
            continue
        if current is not None:
            current[-1] += line
    return {name: "---\n".join(d if d.endswith("\n") else d + "\n" for d in docs) for name, docs in groups.items()}


_WORKERS: dict[tuple[float, int], WorkerRenderer] = {}


@atexit.register
def _stop_workers() -> None:
    for worker in _WORKERS.values():
        worker.close()


def pick_renderer(options: RenderOptions) -> Renderer:
    """The renderer for ``options``: one SDK child per run and set of limits."""
    if options.helm_binary is not None:
        return BinaryRenderer(options.helm_binary, options.timeout_s, options.memory_mb)
    if importlib.util.find_spec("helm_python") is not None:
        key = (options.timeout_s, options.memory_mb)
        if key not in _WORKERS:
            _WORKERS[key] = WorkerRenderer(*key)
        return _WORKERS[key]
    found = shutil.which("helm")
    if found is None:
        raise RenderFailed("cannot render Helm charts: install helm-python-sdk or put a `helm` binary on PATH (--helm)")
    return BinaryRenderer(Path(found), options.timeout_s, options.memory_mb)


def renderer_name(options: RenderOptions) -> str:
    """Which renderer ``render_chart`` would use: "sdk", "binary" or "none"."""
    try:
        return pick_renderer(options).name
    except RenderFailed:
        return "none"
