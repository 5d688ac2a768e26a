"""The YAML reader decodes as Kubernetes (go-yaml, YAML 1.1) does and knows where every node is."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tokenlint.yaml import reader as yamlread
from tokenlint.yaml.reader import MAX_DEPTH, DuplicateKey, ParseError, YMap, YSeq, decode_plain, parse_stream


def one(text: str) -> Any:
    docs, errors = parse_stream(text.encode())
    assert errors == []
    assert len(docs) == 1
    return docs[0].data


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("Yes", True),
        ("on", True),
        ("ON", True),
        ("y", True),
        ("Y", True),
        ("true", True),
        ("no", False),
        ("No", False),
        ("off", False),
        ("n", False),
        ("N", False),
        ("FALSE", False),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("10", 10),
        ("-3", -3),
        ("+12", 12),
        ("1_000", 1000),
        ("0x1F", 31),
        ("010", 8),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.inf", -math.inf),
        (".Inf", math.inf),
        ("0x_", "0x_"),
        ("._", "._"),
        ("1.2.3", "1.2.3"),
        ("yess", "yess"),
        ("v1", "v1"),
    ],
)
def test_plain_scalars_decode_as_yaml_1_1(text: str, value: Any) -> None:
    decoded = decode_plain(text)
    assert decoded == value
    assert type(decoded) is type(value)
    assert one(f"k: {text}\n") == {"k": value}


def test_quoted_and_str_tagged_scalars_stay_strings() -> None:
    data = one("a: 'yes'\nb: \"no\"\nc: 'null'\nd: '010'\ne: !!str on\nf: \"1e3\"\n")
    assert data == {"a": "yes", "b": "no", "c": "null", "d": "010", "e": "on", "f": "1e3"}


def test_empty_value_is_null_and_explicit_tags_are_honoured() -> None:
    assert one("a:\nb: !!int '2'\nc: !!bool 'off'\nd: !custom 5\ne: !!int nope\n") == {
        "a": None,
        "b": 2,
        "c": False,
        "d": "5",
        "e": "nope",
    }


def test_merge_keys_explicit_keys_win_and_earlier_maps_win() -> None:
    data = one(
        "base: &base {x: 1, y: 2}\n"
        "more: &more {y: 20, z: 30}\n"
        "one:\n"
        "  <<: *base\n"
        "  x: 100\n"
        "after:\n"
        "  x: 200\n"
        "  <<: *base\n"
        "list:\n"
        "  <<: [*base, *more]\n"
        "  z: 3\n"
    )
    assert data["one"] == {"x": 100, "y": 2}
    assert data["after"] == {"x": 200, "y": 2}
    assert data["list"] == {"x": 1, "y": 2, "z": 3}
    assert "<<" not in data["list"]


def test_merged_keys_point_at_their_definition() -> None:
    data = one("base: &base\n  image: nginx\nc:\n  <<: *base\n  name: web\n")
    assert data["c"].keypos == {"image": (2, 3), "name": (5, 3)}


def test_anchors_and_aliases_share_the_value() -> None:
    data = one("a: &labels\n  app: web\nb: *labels\nc: [&v 5, *v]\n")
    assert data["b"] == {"app": "web"}
    assert data["c"] == [5, 5]


def test_merge_of_a_scalar_is_an_error_and_later_documents_still_count() -> None:
    docs, errors = parse_stream(b"a: 1\n---\ny:\n  <<: [1, 2]\n---\nz: 1\n")
    assert [d.data for d in docs] == [{"a": 1}, {"z": 1}]
    assert errors == [ParseError(4, 3, "merge key '<<' must refer to a mapping")]


def test_unknown_alias_is_an_error_with_its_position() -> None:
    docs, errors = parse_stream(b"x: 1\ny:\n  <<: *nope\n")
    assert docs == []
    assert errors == [ParseError(3, 7, "alias *nope refers to no anchor before it")]


def test_duplicate_keys_keep_the_last_value_and_record_both_positions() -> None:
    docs, errors = parse_stream(b"a: 1\na: 2\nb:\n  c: 1\n  c: [1]\nd: [{e: 1}, {e: 2, e: 3}]\n")
    assert errors == []
    assert docs[0].data == {"a": 2, "b": {"c": [1]}, "d": [{"e": 1}, {"e": 3}]}
    assert docs[0].duplicates == [
        DuplicateKey(("a",), (1, 1), (2, 1)),
        DuplicateKey(("b", "c"), (4, 3), (5, 3)),
        DuplicateKey(("d", 1, "e"), (6, 14), (6, 20)),
    ]
    assert docs[0].data.keypos["a"] == (2, 1)


def test_positions_are_one_based_and_exact() -> None:
    docs, _ = parse_stream(
        b"# comment\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: b\n    -   name: c\n"
    )
    data = docs[0].data
    assert isinstance(data, YMap)
    assert (data.line, data.column) == (2, 1)
    assert data.keypos == {"apiVersion": (2, 1), "kind": (3, 1), "spec": (4, 1)}
    containers = data["spec"]["containers"]
    assert isinstance(containers, YSeq)
    assert (containers.line, containers.column) == (6, 5)
    assert containers.itempos == [(6, 7), (8, 9)]
    assert containers[0].keypos == {"name": (6, 7), "image": (7, 7)}
    assert docs[0].line == 2


def test_multi_document_stream_indexes_and_start_lines() -> None:
    docs, errors = parse_stream(b"a: 1\n---\n---\nb: 2\n...\n---\nc: 3\n")
    assert errors == []
    assert [(d.data, d.index, d.line) for d in docs] == [
        ({"a": 1}, 0, 1),
        (None, 1, 2),
        ({"b": 2}, 2, 3),
        ({"c": 3}, 3, 6),
    ]


def test_json_input() -> None:
    data = one('{"apiVersion": "v1", "kind": "Pod",\n "spec": {"n": [1, true, null, "on"]}}')
    assert data == {"apiVersion": "v1", "kind": "Pod", "spec": {"n": [1, True, None, "on"]}}
    assert data["spec"].keypos["n"] == (2, 11)


def test_empty_input_has_no_documents() -> None:
    assert parse_stream(b"") == ([], [])
    assert parse_stream(b"# only a comment\n") == ([], [])


def test_broken_document_in_the_middle_keeps_the_others_and_has_the_right_line() -> None:
    text = b"a: 1\n---\nkind: Pod\nspec: : :\n  - x\n---\nc: 3\n---\nd: 4\n"
    docs, errors = parse_stream(text)
    assert [d.data for d in docs] == [{"a": 1}, {"c": 3}, {"d": 4}]
    assert [(e.line, e.column) for e in errors] == [(4, 7)]
    assert errors[0].message.startswith("YAML syntax error: mapping values are not allowed")


def test_unclosed_flow_sequence_names_where_it_started() -> None:
    docs, errors = parse_stream(b"a: 1\n---\nb: [1\n---\nc: 3\n")
    assert [d.data for d in docs] == [{"a": 1}, {"c": 3}]
    assert len(errors) == 1
    assert errors[0].line == 4
    assert "started at line 3, column 4" in errors[0].message


def test_line_numbers_after_an_error_count_from_the_start_of_the_file() -> None:
    docs, errors = parse_stream(b"a: [\n---\nb: 1\nb: 2\n---\nc: : x\n")
    assert [d.data for d in docs] == [{"b": 2}]
    assert docs[0].duplicates == [DuplicateKey(("b",), (3, 1), (4, 1))]
    assert [e.line for e in errors] == [2, 6]


def test_alias_bomb_is_bounded_with_an_error() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    docs, errors = parse_stream(("\n".join(lines) + "\n---\nok: 1\n").encode())
    assert [d.data for d in docs] == [{"ok": 1}]
    assert len(errors) == 1
    assert errors[0].line == 7
    assert "expands to more than 2,000,000 nodes through aliases" in errors[0].message


def test_deep_nesting_is_bounded_with_an_error() -> None:
    depth = MAX_DEPTH + 5
    docs, errors = parse_stream(f"a: {'[' * depth}{']' * depth}\n---\nb: 2\n".encode())
    assert [d.data for d in docs] == [{"b": 2}]
    assert errors == [ParseError(1, MAX_DEPTH + 3, f"nesting deeper than {MAX_DEPTH} levels")]


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    assert parse_stream(f"a: {'[' * depth}{']' * depth}\n".encode())[1] == []


KUBERNETES_FLOW = """\
kind: ServiceAccount
---
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects: [{kind: Group, name: system:authenticated}]
---
containers: [{name: app, image: nginx:1.25}]
except: [fd00:ec2::254/128, ::/0]
---
kind: Pod
"""


def test_colons_inside_flow_collections_read_as_kubernetes_reads_them_with_positions() -> None:
    docs, errors = parse_stream(KUBERNETES_FLOW.encode())
    assert errors == []
    assert [(d.index, d.line) for d in docs] == [(0, 1), (1, 2), (2, 5), (3, 8)]
    assert docs[1].data == {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
        "subjects": [{"kind": "Group", "name": "system:authenticated"}],
    }
    assert docs[1].data["roleRef"].keypos == {"apiGroup": (3, 11), "kind": (3, 48), "name": (3, 67)}
    assert docs[1].data["subjects"].itempos == [(4, 12)]
    assert docs[2].data == {
        "containers": [{"name": "app", "image": "nginx:1.25"}],
        "except": ["fd00:ec2::254/128", "::/0"],
    }
    assert docs[2].data["except"].itempos == [(7, 10), (7, 29)]
    assert docs[3].data == {"kind": "Pod"}
    assert docs[3].data.keypos == {"kind": (9, 1)}


def test_the_slow_parser_reads_only_the_rejected_document(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = yamlread.CParser

    def counting(data: bytes) -> Any:
        calls.append(data.decode()[:12])
        return original(data)

    monkeypatch.setattr(yamlread, "CParser", counting)
    docs, errors = parse_stream(b"a: 1\n---\nb: {x: y:z}\n---\nc: 3\n---\nd: 4\n")
    assert errors == []
    assert [d.data for d in docs] == [{"a": 1}, {"b": {"x": "y:z"}}, {"c": 3}, {"d": 4}]
    assert [d.index for d in docs] == [0, 1, 2, 3]
    # The C parser reads the whole stream, then again from the document after the rejected one.
    assert calls == ["a: 1\n---\nb: ", "---\nc: 3\n---"]


def test_a_document_both_parsers_reject_keeps_the_c_message_and_the_others_count() -> None:
    docs, errors = parse_stream(b"a: {x: y:z}\n---\nb: [1, 2\n---\nc: 3\n")
    assert [d.data for d in docs] == [{"a": {"x": "y:z"}}, {"c": 3}]
    assert [(e.line, e.column) for e in errors] == [(4, 1)]
    assert errors[0].message.startswith("YAML syntax error: did not find expected ',' or ']'")


def test_the_hostile_input_bounds_hold_in_the_slow_parser() -> None:
    depth = MAX_DEPTH + 5
    docs, errors = parse_stream(f"a: {{x: y:z}}\nb: {'[' * depth}{']' * depth}\n---\nc: 3\n".encode())
    assert [d.data for d in docs] == [{"c": 3}]
    assert errors == [ParseError(2, MAX_DEPTH + 3, f"nesting deeper than {MAX_DEPTH} levels")]


def test_the_slow_parser_reads_a_bounded_share_of_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "SLOW_PARSE_BUDGET", 40)
    long = "x" * 40
    docs, errors = parse_stream(f"a: {{k: v:w}}\n---\nb: {{k: {long}:w}}\n---\nc: {{k: v:w}}\n---\nd: 4\n".encode())
    assert [d.data for d in docs] == [{"a": {"k": "v:w"}}, {"d": 4}]
    assert [e.line for e in errors] == [3, 5]
    assert errors[0].message.endswith("(a document only the full YAML parser reads is limited to 40 characters a file)")
    assert "found unexpected ':'" in errors[1].message


def test_a_non_specific_tag_keeps_a_plain_scalar_a_string() -> None:
    assert one("- ! 12\n- ! true\n- 12\n") == ["12", "true", 12]


def test_a_document_cut_by_the_budget_is_an_error_not_a_partial_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "SLOW_PARSE_BUDGET", 20)
    docs, errors = parse_stream(b"a: {k: v:w}\nb: 1\nc: 2\nd: 3\n")
    assert docs == []
    assert [(e.line, e.column) for e in errors] == [(1, 9)]
    assert errors[0].message.endswith("limited to 20 characters a file)")
