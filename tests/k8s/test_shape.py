"""Fields of the wrong type are input errors with their line, and never stop the other files."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifests import LEGACY_TOKEN_SECRET
from typer.testing import CliRunner

from tokenlint.cli import app
from tokenlint.k8s import shape
from tokenlint.resources.resource import FileOrigin, Resource, resources_of
from tokenlint.yaml.reader import parse_stream

STRING_VERBS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: shop
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: "*"
"""

NULL_CONTAINERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers: null
"""


def resource(text: str) -> Resource:
    docs, errors = parse_stream(text.encode())
    assert errors == []
    return next(resources_of(docs[0], FileOrigin("x.yaml"), "default"))


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (STRING_VERBS, [(("rules", 0, "verbs"), "rules[0].verbs: expected a list, got a string")]),
        (
            NULL_CONTAINERS,
            [(("spec", "template", "spec", "containers"), "spec.template.spec.containers: expected a list, got null")],
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: [x]}\n"
            "spec: {containers: [], automountServiceAccountToken: 'false', hostNetwork: 1}\n",
            [
                (("metadata", "labels"), "metadata.labels: expected a mapping, got a list"),
                (
                    ("spec", "automountServiceAccountToken"),
                    "spec.automountServiceAccountToken: expected true or false, got a string",
                ),
                (("spec", "hostNetwork"), "spec.hostNetwork: expected true or false, got a number"),
            ],
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: []\n  volumes:\n"
            "    - projected: {sources: [{serviceAccountToken: {expirationSeconds: true}}]}\n",
            [
                (
                    ("spec", "volumes", 0, "projected", "sources", 0, "serviceAccountToken", "expirationSeconds"),
                    "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: "
                    "expected an integer, got a boolean",
                )
            ],
        ),
        # Unset optional fields (null) are fine; only a null container list is wrong.
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n"
            "      containers: []\n      volumes: null\n",
            [],
        ),
        (LEGACY_TOKEN_SECRET, []),
    ],
)
def test_problems(text: str, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
    assert list(shape.problems(resource(text))) == problems


def test_wrong_types_exit_2_with_their_lines_and_other_files_are_still_linted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-role.yaml").write_text(STRING_VERBS)
    (tmp_path / "b-deploy.yaml").write_text(NULL_CONTAINERS)
    (tmp_path / "c-secret.yaml").write_text(LEGACY_TOKEN_SECRET)
    outcome = CliRunner().invoke(app, ["lint", "--select", "TL002,TL003", "."])
    assert outcome.exit_code == 2
    lines = outcome.stdout.splitlines()
    assert "a-role.yaml:9:5: error rules[0].verbs: expected a list, got a string" in lines
    assert "b-deploy.yaml:8:7: error spec.template.spec.containers: expected a list, got null" in lines
    assert any(line.startswith("  c-secret.yaml:5:1: TL002 [high]") for line in lines)
