"""Find the inputs of a run and read each one's bytes exactly once.

Paths given on the command line may be files, directories (walked recursively for
``.yaml``, ``.yml`` and ``.json``, skipping hidden and vendored folders) or ``-`` for
standard input. Anything that cannot be read becomes an :class:`InputError` in the
stream of inputs, so the files around it are still linted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from tokenlint.model import InputError
from tokenlint.resources import FileOrigin, Stream

YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIPPED_DIRS = frozenset({"node_modules", "vendor", "third_party", "__pycache__", "site-packages", "venv"})
STDIN = "-"
STDIN_NAME = "<stdin>"


def display_path(path: Path) -> str:
    """Relative to the working directory when the file lies below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _skipped_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS


def walk(root: Path) -> Iterator[Path]:
    """YAML and JSON files below ``root`` in a stable order; hidden and vendored folders skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped_dir(d))
        for name in sorted(files):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in YAML_SUFFIXES:
                yield Path(folder) / name


def _is_binary(data: bytes) -> bool:
    """NUL bytes do not occur in UTF-8 YAML; UTF-16 files start with a byte order mark."""
    head = data[:8192]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def read_file(path: Path, shown: str) -> Stream | InputError:
    """One file as a stream, or an error that says why it cannot be linted."""
    try:
        data = sys.stdin.buffer.read() if shown == STDIN_NAME else path.read_bytes()
    except OSError as exc:
        return InputError(shown, None, None, f"cannot read: {exc.strerror or exc}")
    if _is_binary(data):
        return InputError(shown, None, None, "binary file, not YAML or JSON")
    return Stream(FileOrigin(shown), data)


def discover(paths: Sequence[str]) -> Iterator[Stream | InputError]:
    """Every input named by ``paths``, in order, each file read once."""
    seen: set[Path] = set()
    for raw in paths:
        if raw == STDIN:
            yield read_file(Path(STDIN), STDIN_NAME)
            continue
        path = Path(raw)
        if path.is_dir():
            files = list(walk(path))
        elif path.exists():
            files = [path]
        else:
            yield InputError(path.as_posix(), None, None, "no such file or directory")
            continue
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield read_file(file, display_path(file))
