"""Finding inputs: directory walks, standard input, and inputs that cannot be read."""

from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path

import pytest

from tokenlint.inputs.discover import discover
from tokenlint.model import InputError
from tokenlint.resources.resource import Stream


def touch(root: Path, *names: str, data: bytes = b"a: 1\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def shown(items: list[Stream | InputError]) -> list[str]:
    return [i.origin.path if isinstance(i, Stream) else f"error {i.path}: {i.message}" for i in items]


def test_walk_is_recursive_sorted_and_skips_hidden_and_vendored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    touch(
        tmp_path,
        "b.yaml",
        "a.yml",
        "c.JSON",
        "notes.txt",
        "script.py",
        ".hidden.yaml",
        "sub/deep/d.yaml",
        ".git/config.yaml",
        ".github/workflows/ci.yaml",
        "node_modules/pkg/e.yaml",
        "vendor/f.yaml",
        "sub/third_party/g.yaml",
    )
    assert shown(list(discover(["."]))) == ["a.yml", "b.yaml", "c.JSON", "sub/deep/d.yaml"]


def test_files_are_read_once_and_paths_kept_in_argument_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    touch(tmp_path, "x/a.yaml", "x/b.yaml")
    # A file named explicitly is read whatever its suffix; a repeat is read once.
    touch(tmp_path, "manifest.txt")
    assert shown(list(discover(["x/b.yaml", "x", "manifest.txt", "./x/a.yaml"]))) == [
        "x/b.yaml",
        "x/a.yaml",
        "manifest.txt",
    ]


def test_paths_outside_the_working_directory_stay_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "out/a.yaml")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    assert shown(list(discover(["../out/a.yaml"]))) == ["../out/a.yaml"]


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"kind: Pod\n")))
    items = list(discover(["-"]))
    assert len(items) == 1
    assert isinstance(items[0], Stream)
    assert (items[0].origin.path, items[0].data) == ("<stdin>", b"kind: Pod\n")


def test_binary_empty_and_missing_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    touch(tmp_path, "image.yaml", data=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    touch(tmp_path, "empty.yaml", data=b"")
    touch(tmp_path, "utf16.yaml", data="a: 1\n".encode("utf-16"))
    items = list(discover(["image.yaml", "empty.yaml", "missing.yaml", "utf16.yaml"]))
    assert shown(items) == [
        "error image.yaml: binary file, not YAML or JSON",
        "empty.yaml",
        "error missing.yaml: no such file or directory",
        "utf16.yaml",
    ]
    assert isinstance(items[1], Stream)
    assert items[1].data == b""


def test_unreadable_file_is_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    touch(tmp_path, "locked.yaml")

    real_open = os.open

    def denied(path: str, flags: int, *args: int) -> int:
        if str(path).endswith("locked.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", denied)
    assert shown(list(discover(["locked.yaml"]))) == ["error locked.yaml: cannot read: Permission denied"]


def test_only_regular_files_are_read_and_the_others_are_errors_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    touch(tmp_path, "deploy/ok.yaml", "deploy/real.yaml")
    os.mkfifo(tmp_path / "deploy" / "pipe.yaml")
    os.mkfifo(tmp_path / "named.yaml")
    (tmp_path / "deploy" / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "deploy" / "link.yaml").symlink_to(tmp_path / "deploy" / "real.yaml")
    assert shown(list(discover(["named.yaml", "deploy"]))) == [
        "error named.yaml: not a regular file: a named pipe (FIFO)",
        "deploy/real.yaml",  # through link.yaml, once
        "deploy/ok.yaml",
        "error deploy/pipe.yaml: not a regular file: a named pipe (FIFO)",
        "error deploy/zero.yaml: not a regular file: a character device",
    ]


def test_files_above_the_size_limit_are_errors_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with (tmp_path / "sparse.yaml").open("wb") as handle:
        handle.truncate(3 * 1024**3)  # 3 GiB, no blocks on disk
    touch(tmp_path, "small.yaml", data=b"a: 1\n" * 24)
    assert shown(list(discover(["sparse.yaml", "small.yaml"]))) == [
        "error sparse.yaml: file larger than the limit of 64 MiB (3 GiB); raise max-file-size to read it",
        "small.yaml",
    ]
    assert shown(list(discover(["small.yaml"], max_file_size=100))) == [
        "error small.yaml: file larger than the limit of 100 bytes (120 bytes); raise max-file-size to read it"
    ]


def test_standard_input_is_bounded_and_checked_on_its_first_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a: 1\n" * 30)))
    assert shown(list(discover(["-"], max_file_size=100))) == [
        "error <stdin>: file larger than the limit of 100 bytes; raise max-file-size to read it"
    ]
    with Path("/dev/zero").open("rb") as zero:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(zero))  # endless: only its first block is read
        assert shown(list(discover(["-"]))) == ["error <stdin>: binary file, not YAML or JSON"]
