"""Rendered templates are cut into documents exactly as Helm's SplitManifests cuts them."""

from __future__ import annotations

import pytest

from tokenlint.inputs.helm.split import normalize, split_manifests


@pytest.mark.parametrize(
    ("rendered", "documents"),
    [
        # A separator glued to a comment by whitespace trimming still separates.
        ("a: 1\n---# second\nb: 2\n", ["a: 1", "# second\nb: 2"]),
        # ... and so does one glued to a key, or followed by spaces and blank lines.
        ("a: 1\n---b: 2", ["a: 1", "b: 2"]),
        ("a: 1   \n\n---   \n\n  b: 2\n  c: 3\n", ["a: 1", "b: 2\n  c: 3"]),
        # The text is trimmed first, and a leading separator leaves an empty piece.
        ("\n\n---\na: 1\n---\n", ["a: 1"]),
        # Only a separator at the start of a line counts; an indented one is text.
        ("a: |\n  ---\n  x\n", ["a: |\n  ---\n  x"]),
        ("a: b---c\n", ["a: b---c"]),
        # Four dashes: Helm cuts after three and keeps the fourth as text.
        ("a: 1\n----\nb: 2\n", ["a: 1", "-\nb: 2"]),
        # The separator's trailing whitespace swallows the newline a second
        # separator would need: Helm keeps that one inside the next document.
        ("---\n\n---\na: 1\n", ["---\na: 1"]),
        # Empty documents and a text of whitespace give nothing.
        ("---\n---\n", ["---"]),
        (" \n\t\n", []),
        # Go's \s is ASCII: a non-breaking space before the newline is not whitespace
        # for the separator, so it does not separate.
        ("a: 1\xa0---\nb: 2\n", ["a: 1\xa0---\nb: 2"]),
    ],
)
def test_split_manifests_follows_helm(rendered: str, documents: list[str]) -> None:
    assert split_manifests(rendered) == documents


def test_normalize_puts_one_separator_line_between_documents() -> None:
    assert normalize("a: 1\n---# c\nb: 2") == "a: 1\n---\n# c\nb: 2\n"
    assert normalize("\n\n") == ""
