"""The paths view: the graph of accounts, carriers and reach, and the 'paths' command."""

from __future__ import annotations

from pathlib import Path

from tokenlint.inputs.discover import discover
from tokenlint.report.pathsview import collect

FIXTURES = Path(__file__).parent / "rules" / "TL201"


def test_the_graph_follows_a_chain_across_three_files() -> None:
    view = collect(discover([str(FIXTURES / "fail-three-files")]))
    assert not view.errors
    (account,) = view.accounts
    assert (account.namespace, account.name, account.defined) == ("shop", "api", False)
    assert [(c.display(), c.how, c.location.line) for c in account.carriers] == [
        ("Deployment shop/api", "automount", 14)
    ]
    assert [(r.capability, r.scope, r.binding, r.role, r.rule, r.location.line) for r in account.reaches] == [
        (
            "TL101",
            None,
            "ClusterRoleBinding api-reads-secrets",
            "ClusterRole secret-reader",
            "ClusterRole secret-reader rules[1]: get, list on secrets",
            9,
        )
    ]


def test_accounts_in_other_namespaces_do_not_inherit_bindings() -> None:
    view = collect(discover([str(FIXTURES / "pass-other-namespace")]))
    by_key = {a.key: a for a in view.accounts}
    assert [c.display() for c in by_key[("web", "api")].carriers] == ["Deployment web/api"]
    assert by_key[("web", "api")].reaches == []
    assert by_key[("shop", "api")].carriers == []  # its only pod turns the mount off
    assert {r.capability for r in by_key[("shop", "api")].reaches} >= {"TL101", "TL102", "TL103"}


def test_unknown_roles_are_listed_not_guessed() -> None:
    view = collect(discover([str(FIXTURES / "pass.yaml")]))
    (account,) = view.accounts
    assert account.reaches == []
    assert account.unknown == [
        "RoleBinding shop/mystery -> ClusterRole vendor-operator (not in the input, not built in)"
    ]
