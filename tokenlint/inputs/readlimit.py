"""Read an input file safely: regular files only, a size limit, binary content refused early.

A FIFO named ``x.yaml`` would block a run forever, ``/dev/zero`` or a symlink to it would
fill memory, and a 3 GiB sparse file would take minutes to read only to be rejected. So a
path is opened without blocking and checked with ``fstat`` on the open descriptor (no race
with a swapped path): only a regular file, or a symlink to one, is read; its announced size
must be within the limit; the first block is checked for binary content before the rest is
read; and no more than the limit is ever read, even from a file that grows meanwhile or
from standard input.
"""

from __future__ import annotations

import os
import re
import stat
from typing import BinaryIO

MIB = 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 64 * MIB
"""Far above real manifests (the largest CRD bundles are a few MiB)."""

FIRST_BLOCK = 8192
_UNITS = {"": 1, "KiB": 1024, "MiB": MIB, "GiB": 1024 * MIB}
_SIZE = re.compile(r"^([0-9]+) ?(KiB|MiB|GiB)?$")
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class ReadRefused(Exception):
    """The file is not read; ``message`` says why, without the path (the caller names it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_size(text: str | int) -> int | None:
    """Bytes of a size written as ``67108864``, ``64MiB`` or ``512 KiB``; None when malformed."""
    if isinstance(text, int):
        return text if text > 0 else None
    match = _SIZE.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        return None
    return int(match.group(1)) * _UNITS[match.group(2) or ""]


def format_size(size: int) -> str:
    """``64 MiB`` rather than ``67108864``, for messages."""
    for unit in ("GiB", "MiB", "KiB"):
        if size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]} {unit}"
    return f"{size:,} bytes"


def is_binary(head: bytes) -> bool:
    """NUL bytes do not occur in UTF-8 YAML; UTF-16 files start with a byte order mark."""
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_input(path: str | os.PathLike[str], limit: int = DEFAULT_MAX_FILE_SIZE, *, text: bool = True) -> bytes:
    """The bytes of a regular file (symlinks followed) of at most ``limit`` bytes; with
    ``text``, binary content is refused (a chart's packaged subcharts are binary).

    Raises :class:`ReadRefused` for anything else, and :class:`OSError` when the file
    cannot be opened or read.
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"not a regular file: {_kind(info.st_mode)}")
        if info.st_size > limit:
            raise ReadRefused(_too_large(info.st_size, limit))
        return read_stream(handle, limit, text=text)


def read_stream(handle: BinaryIO, limit: int = DEFAULT_MAX_FILE_SIZE, *, text: bool = True) -> bytes:
    """At most ``limit`` bytes of an open stream (standard input); with ``text``, binary
    content is refused on the first block before anything more is read."""
    head = _read_up_to(handle, min(FIRST_BLOCK, limit + 1))
    if text and is_binary(head):
        raise ReadRefused("binary file, not YAML or JSON")
    rest = _read_up_to(handle, limit + 1 - len(head)) if len(head) == min(FIRST_BLOCK, limit + 1) else b""
    if len(head) + len(rest) > limit:
        raise ReadRefused(_too_large(None, limit))
    return head + rest


def _read_up_to(handle: BinaryIO, size: int) -> bytes:
    """``size`` bytes or up to the end of the stream, whichever comes first (reads may be short)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = handle.read(min(left, 1024 * 1024))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _too_large(size: int | None, limit: int) -> str:
    found = f" ({format_size(size)})" if size is not None else ""
    return f"file larger than the limit of {format_size(limit)}{found}; raise max-file-size to read it"
