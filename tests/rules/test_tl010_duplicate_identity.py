"""TL010 beside the other rules: a duplicate never hides the findings of the other copy."""

from __future__ import annotations

from pathlib import Path

from tokenlint.engine.run import lint
from tokenlint.inputs.discover import discover
from tokenlint.rulekit.registry import load_rules

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: shop
rules:
  - apiGroups: [""]
    resources: [{resource}]
    verbs: ["get"]
"""


def test_the_shadowed_copy_is_judged_and_the_last_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ROLE.format(resource="secrets"))
    (tmp_path / "b.yaml").write_text(ROLE.format(resource="configmaps"))
    result = lint(
        discover([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]), load_rules().select(["TL010", "TL101"])
    )
    brief = [(f.rule, Path(f.location.path).name, f.location.line) for f in result.findings]
    assert brief == [("TL101", "a.yaml", 7), ("TL010", "b.yaml", 4)]
    tl010 = result.findings[1]
    assert f"also defined at {tmp_path / 'a.yaml'}:4" in tl010.message
    assert f"the last definition ({tmp_path / 'b.yaml'}:4) is the one used" in tl010.message
    assert [(Path(r.location.path).name, r.location.line) for r in tl010.related] == [("a.yaml", 4)]
