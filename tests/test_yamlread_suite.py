"""The YAML reader against the YAML community's test suite (yaml-test-suite, data branch).

Every case of the suite is read; the reader must accept the valid ones, reject the invalid
ones and give the expected data, except for the cases listed in :data:`DIFFERENCES`, each
with its reason. The suite lives beside the repository (``../shared/yaml-test-suite``, as
CI places it) or where ``TOKENLINT_YAML_TEST_SUITE`` points; CI fails without it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from tokenlint.yaml.reader import parse_stream

VALID_REJECTED = "valid rejected"
INVALID_ACCEPTED = "invalid accepted"
OTHER_DATA = "other data"

_YAML_1_2_KEY = (
    "YAML 1.2 only: the ':' of a flow mapping entry on a line after its key; YAML 1.1, which "
    "Kubernetes' go-yaml implements, keeps an implicit key and its ':' on one line"
)
_TAB = (
    "a tab where YAML 1.1 scanners expect indentation or the start of a token; go-yaml rejects it "
    "as libyaml does ('found character that cannot start any token', a well-known kubectl error)"
)
_LENIENT = (
    "libyaml accepts this invalid form, and go-yaml, its Go port that Kubernetes uses, has the same "
    "scanner: kubectl applies it, so rejecting it would drop a deployed manifest"
)
_SLOW_LENIENT = (
    "ruamel.yaml's pure-Python parser, which reads the documents libyaml rejects, accepts this "
    "invalid form; it concerns stream markers, not the data of a manifest"
)
_NO_MANIFEST = "holds no manifest: a stream of markers and comments without a document"
_TOP_SCALAR = (
    "a top-level block scalar with zero indentation after '--- >'; a manifest is a mapping, and "
    "libyaml (like go-yaml) ends the scalar before its unindented lines"
)
_QUESTION = (
    "'?' at the start of a flow scalar: libyaml and go-yaml read it as the explicit key indicator "
    "in flow context, so Kubernetes reads the key without it"
)
_KEEP = (
    "trailing lines of spaces of a block scalar at the end of the stream: libyaml and go-yaml keep "
    "them differently from the 1.2 spec"
)

DIFFERENCES: dict[str, tuple[str, str]] = {
    "3HFZ": (INVALID_ACCEPTED, _SLOW_LENIENT + " (content after '...' on its line)"),
    "4MUZ/00": (VALID_REJECTED, _YAML_1_2_KEY),
    "4MUZ/01": (VALID_REJECTED, _YAML_1_2_KEY),
    "4MUZ/02": (VALID_REJECTED, _YAML_1_2_KEY),
    "5MUD": (VALID_REJECTED, _YAML_1_2_KEY),
    "652Z": (OTHER_DATA, _QUESTION),
    "6BCT": (VALID_REJECTED, _TAB),
    "6CA3": (VALID_REJECTED, _TAB),
    "9C9N": (INVALID_ACCEPTED, _LENIENT + " (a flow sequence indented less than its key)"),
    "9HCY": (INVALID_ACCEPTED, _LENIENT + " (a directive without '...' before it)"),
    "9JBA": (INVALID_ACCEPTED, _LENIENT + " (a comment right after ']')"),
    "9SA2": (
        VALID_REJECTED,
        "YAML 1.2 only: a flow mapping key over two lines; YAML 1.1 (go-yaml) keeps implicit keys on one line",
    ),
    "A2M4": (VALID_REJECTED, _TAB),
    "BEC7": (VALID_REJECTED, "a %YAML 1.3 directive: an incompatible version for YAML 1.1 readers, go-yaml too"),
    "CFD4": (VALID_REJECTED, "an empty implicit key in a flow sequence: no Kubernetes field has an empty name"),
    "CVW2": (INVALID_ACCEPTED, _LENIENT + " (a comment right after ',')"),
    "DK3J": (VALID_REJECTED, _TOP_SCALAR),
    "DK95/00": (VALID_REJECTED, _TAB),
    "DK95/01": (INVALID_ACCEPTED, _LENIENT + " (a tab indenting a quoted scalar's second line)"),
    "DK95/03": (VALID_REJECTED, _TAB),
    "DK95/04": (VALID_REJECTED, _TAB),
    "EB22": (INVALID_ACCEPTED, _LENIENT + " (a directive without '...' before it)"),
    "FP8R": (VALID_REJECTED, _TOP_SCALAR),
    "G5U8": (INVALID_ACCEPTED, _LENIENT + " ('-' as a plain scalar in a flow sequence)"),
    "HM87/01": (OTHER_DATA, _QUESTION),
    "HWV9": (VALID_REJECTED, _NO_MANIFEST),
    "JEF9/02": (OTHER_DATA, _KEEP),
    "K3WX": (VALID_REJECTED, _YAML_1_2_KEY),
    "L24T/01": (OTHER_DATA, _KEEP),
    "M7A3": (VALID_REJECTED, _NO_MANIFEST + " between two '...' markers, beside bare scalar documents"),
    "MUS6/00": (INVALID_ACCEPTED, _LENIENT + " (a comment without a space after a directive)"),
    "MUS6/01": (INVALID_ACCEPTED, _LENIENT + " (a repeated %YAML directive)"),
    "NJ66": (
        VALID_REJECTED,
        "YAML 1.2 only: a plain flow mapping key over two lines; YAML 1.1 (go-yaml) keeps implicit keys on one line",
    ),
    "Q5MG": (VALID_REJECTED, _TAB),
    "QB6E": (INVALID_ACCEPTED, _LENIENT + " (a quoted scalar's lines indented less than its key)"),
    "QT73": (VALID_REJECTED, _NO_MANIFEST),
    "R4YG": (VALID_REJECTED, _TAB),
    "RHX7": (INVALID_ACCEPTED, _LENIENT + " (a directive without '...' before it)"),
    "S98Z": (INVALID_ACCEPTED, _LENIENT + " (an empty block scalar followed by more indented spaces)"),
    "SU5Z": (INVALID_ACCEPTED, _LENIENT + " (a comment right after a quoted scalar)"),
    "U99R": (INVALID_ACCEPTED, _LENIENT + " (a comma in a tag)"),
    "UT92": (VALID_REJECTED, _YAML_1_2_KEY),
    "VJP3/01": (VALID_REJECTED, _YAML_1_2_KEY),
    "WZ62": (
        VALID_REJECTED,
        "a tag on an empty node before ',' in a flow mapping: libyaml, go-yaml and ruamel.yaml's "
        "parser all reject it; manifests never tag empty nodes",
    ),
    "X4QW": (INVALID_ACCEPTED, _LENIENT + " (a comment right after a block scalar indicator)"),
    "Y2GN": (
        OTHER_DATA,
        "an anchor ends at ':' in libyaml and in go-yaml (anchor names are letters, digits, '-' and '_'), "
        "so Kubernetes reads the value ':chor value'",
    ),
    "Y79Y/003": (INVALID_ACCEPTED, _LENIENT + " (a tab indenting a flow sequence item)"),
    "Y79Y/010": (VALID_REJECTED, _TAB),
    "YJV2": (INVALID_ACCEPTED, _LENIENT + " ('-' as a plain scalar in a flow sequence)"),
}


def _suite() -> Path:
    """The suite's folder; pytest fails in CI (``CI=true``) and skips elsewhere when it is missing."""
    configured = os.environ.get("TOKENLINT_YAML_TEST_SUITE")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "yaml-test-suite"
    if not folder.is_dir():
        message = f"yaml-test-suite not found at {folder} (set TOKENLINT_YAML_TEST_SUITE)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


def _json_stream(text: str) -> list[Any]:
    """The expected data: one JSON value per document, written one after another."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


def _same(got: Any, expected: Any) -> bool:
    """Equal data, with bool never equal to a number and NaN equal to NaN."""
    if type(got) is bool or type(expected) is bool:
        return got is expected
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        return got == expected or (isinstance(got, float) and math.isnan(got) and math.isnan(expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_same(got[k], expected[k]) for k in got)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(_same(a, b) for a, b in zip(got, expected, strict=True))
    return type(got) is type(expected) and bool(got == expected)


def _outcome(case: Path) -> str | None:
    """How the reader disagrees with the suite on one case, or None when it agrees."""
    documents, errors = parse_stream((case / "in.yaml").read_bytes())
    if (case / "error").exists():
        return None if errors else INVALID_ACCEPTED
    if errors:
        return VALID_REJECTED
    expected = case / "in.json"
    if expected.exists() and not _same([doc.data for doc in documents], _json_stream(expected.read_text())):
        return OTHER_DATA
    return None


def test_the_reader_agrees_with_the_yaml_test_suite_but_for_the_listed_differences() -> None:
    suite = _suite()
    cases = sorted(path.parent for path in suite.glob("**/in.yaml"))
    found = {}
    for case in cases:
        outcome = _outcome(case)
        if outcome is not None:
            found[case.relative_to(suite).as_posix()] = outcome
    assert len(cases) == 402
    assert found == {case: kind for case, (kind, _) in DIFFERENCES.items()}
    assert len(cases) - len(found) == 353


def test_every_listed_difference_says_why() -> None:
    for kind, reason in DIFFERENCES.values():
        assert kind in (VALID_REJECTED, INVALID_ACCEPTED, OTHER_DATA)
        assert len(reason) > 40
