"""TL006's ``max-expiration-seconds`` option moves the limit; the fixtures cover the default."""

from __future__ import annotations

from tokenlint.engine.run import LintOptions, lint
from tokenlint.resources.resource import FileOrigin, Stream
from tokenlint.rulekit.registry import load_rules

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: app:1
  volumes:
    - name: token
      projected:
        sources:
          - serviceAccountToken:
              path: token
              expirationSeconds: 7200
"""


def _lines(options: dict[str, object]) -> list[tuple[int, str]]:
    rules = load_rules().select(["TL006"])
    result = lint([Stream(FileOrigin("pod.yaml"), POD.encode())], rules, LintOptions(rule_options={"TL006": options}))
    assert not result.errors
    return [(f.location.line, f.message) for f in result.findings]


def test_default_limit_accepts_two_hours() -> None:
    assert _lines({}) == []


def test_lower_limit_reports_the_token_with_both_durations() -> None:
    assert _lines({"max-expiration-seconds": 3600}) == [
        (
            15,
            "projected token in volume token lives 2 hours (expirationSeconds 7200), above the limit of 1 hour: "
            "a stolen copy stays valid that long; lower expirationSeconds (the kubelet refreshes the token before "
            "it expires)",
        )
    ]
