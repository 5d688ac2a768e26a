"""Bounded reads: sizes as users write them, and streams read no further than needed."""

from __future__ import annotations

import io

import pytest

from tokenlint.inputs.readlimit import ReadRefused, format_size, parse_size, read_stream


@pytest.mark.parametrize(
    ("text", "size"),
    [("64MiB", 64 * 1024**2), ("512 KiB", 512 * 1024), ("1GiB", 1024**3), ("1000", 1000), (4096, 4096)],
)
def test_sizes_are_read_with_binary_units(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["0", "64MB", "-1", "MiB", 0, "1.5MiB"])
def test_malformed_sizes_are_refused(text: str | int) -> None:
    assert parse_size(text) is None


@pytest.mark.parametrize(("size", "text"), [(64 * 1024**2, "64 MiB"), (3 * 1024**3, "3 GiB"), (1000, "1,000 bytes")])
def test_sizes_are_shown_in_their_largest_whole_unit(size: int, text: str) -> None:
    assert format_size(size) == text


class _Counting(io.RawIOBase):
    """An endless stream of one byte that counts what was asked of it."""

    def __init__(self, byte: bytes) -> None:
        self.byte = byte
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        size = min(len(buffer), 4096)  # short reads, as pipes give
        buffer[:size] = self.byte * size
        self.served += size
        return size


def test_binary_content_is_refused_on_the_first_block_without_reading_on() -> None:
    stream = _Counting(b"\x00")
    with pytest.raises(ReadRefused, match="binary file"):
        read_stream(stream)  # type: ignore[arg-type]
    assert stream.served == 8192


def test_an_endless_text_stream_is_read_up_to_the_limit_and_refused() -> None:
    stream = _Counting(b"a")
    with pytest.raises(ReadRefused, match="larger than the limit of 1 MiB"):
        read_stream(stream, 1024 * 1024)  # type: ignore[arg-type]
    assert stream.served == 1024 * 1024 + 1  # one byte past the limit tells it is larger


def test_a_stream_within_the_limit_is_read_whole() -> None:
    assert read_stream(io.BytesIO(b"a: 1\n" * 5000)) == b"a: 1\n" * 5000
