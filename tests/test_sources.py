"""Finding inputs: directory walks, standard input, and inputs that cannot be read."""

from __future__ import annotations

import errno
import io
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

    def denied(self: Path) -> bytes:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert shown(list(discover(["locked.yaml"]))) == ["error locked.yaml: cannot read: Permission denied"]
