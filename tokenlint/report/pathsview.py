"""The ``tokenlint paths`` view: per service account, what its token reaches and who carries it.

The same reach as TL001 and TL201 (:mod:`tokenlint.k8s.reach`), laid out for people rather
than as findings. Inputs go through the engine like a lint run (Helm charts, scenarios,
input errors); the only "rule" is :class:`Collector`, which keeps the graph of each bundle
and reports nothing. The graph is plain data of strings and locations, merged across
bundles, so that every renderer is a pure function of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from tokenlint.engine.run import LintOptions, LintResult, lint
from tokenlint.k8s.index import BundleIndex
from tokenlint.k8s.reach import Binding, Path, reach_of
from tokenlint.k8s.serviceaccounts import AccountKey, api_tokens
from tokenlint.model import InputError, Location, Severity
from tokenlint.resources.resource import Stream
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import BundleRule, Context, RuleMeta

T = TypeVar("T")


@dataclass(frozen=True)
class Carrier:
    """A workload whose pods get the account's token, and how."""

    kind: str
    namespace: str | None
    name: str
    how: str
    location: Location

    def display(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Reached:
    """One capability the account reaches, and the binding, role and rule that grant it."""

    capability: str
    title: str
    scope: str | None
    binding: str
    subject: str
    role: str
    rule: str
    location: Location
    severity: Severity
    """As TL201 rates a token on this path: critical cluster-wide, else high."""

    @property
    def where(self) -> str:
        return "cluster-wide" if self.scope is None else f"in namespace {self.scope}"


@dataclass
class Account:
    """A service account of the graph; lists keep input order and hold no duplicates."""

    namespace: str
    name: str
    defined: bool = False
    carriers: list[Carrier] = field(default_factory=list)
    reaches: list[Reached] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def key(self) -> AccountKey:
        return (self.namespace, self.name)

    def merge(self, other: Account) -> None:
        """Add what another bundle (a chart scenario) knows about the same account."""
        self.defined = self.defined or other.defined
        _extend(self.carriers, other.carriers)
        _extend(self.reaches, other.reaches)
        _extend(self.unknown, other.unknown)


def _extend(into: list[T], items: Iterable[T]) -> None:
    into.extend(x for x in items if x not in into)


def _reached(path: Path) -> Reached:
    binding, grant = path.binding, path.grant
    rule = grant.rule
    if rule.origin is not None:
        text = f"{rule.origin.kind} {rule.origin.name} rules[{rule.index}]: {grant.describe()}"
        location = rule.origin.locate(("rules", rule.index))
    else:
        text = f"built-in rule: {grant.describe()}"
        location = binding.resource.locate(("roleRef", "name"))
    return Reached(
        grant.capability.id,
        grant.capability.title,
        binding.scope,
        binding.resource.ref.display(),
        binding.subject.display(),
        binding.role.display(),
        text,
        location,
        path.severity,
    )


def _unknown(binding: Binding) -> str:
    return f"{binding.resource.ref.display()} -> {binding.role.display()} (not in the input, not built in)"


def carriers_of(index: BundleIndex) -> dict[AccountKey, list[Carrier]]:
    """The workloads whose pods carry an API token of each account: mounted automatically,
    or requested by a projected volume for the API server's audience."""
    reach = reach_of(index)
    found: dict[AccountKey, list[Carrier]] = {}
    for workload in index.workloads:
        mount = reach.mount(workload)
        projected = next(api_tokens(workload), None)
        if mount.mounted or projected is not None:
            how = "automount" if mount.mounted else "projected volume"
            where = workload.resource.locate(mount.field if mount.mounted or projected is None else projected)
            ref = workload.resource.ref
            found.setdefault(mount.key, []).append(Carrier(ref.kind, ref.namespace, ref.name, how, where))
    return found


def graph_of(index: BundleIndex) -> list[Account]:
    """Every account that a workload runs as, that the input defines, or that a binding names."""
    reach = reach_of(index)
    accounts: dict[AccountKey, Account] = {}

    def account(key: AccountKey) -> Account:
        found = accounts.get(key)
        if found is None:
            found = accounts[key] = Account(*key)
        return found

    for ns, name in index.service_accounts:
        account((ns or "default", name)).defined = True
    for workload in index.workloads:
        account(reach.mount(workload).key)
    for key, carried in carriers_of(index).items():
        account(key).carriers.extend(carried)
    for key in reach.accounts():
        account(key)
    for node in accounts.values():
        found = reach.of_account(node.key)
        node.reaches.extend(dict.fromkeys(_reached(p) for p in found.paths))
        node.unknown.extend(dict.fromkeys(_unknown(b) for b in found.unknown))
    return list(accounts.values())


class Collector(BundleRule):
    """Keeps the graph of every bundle the engine builds; reports nothing."""

    meta = RuleMeta(id="TL999", name="paths-view", severity=Severity.INFO, summary="collects the paths view")

    def __init__(self) -> None:
        self.accounts: dict[AccountKey, Account] = {}

    def check(self, index: BundleIndex, ctx: Context) -> None:
        for node in graph_of(index):
            seen = self.accounts.get(node.key)
            if seen is None:
                self.accounts[node.key] = node
            else:
                seen.merge(node)


@dataclass(frozen=True)
class PathsView:
    """What the renderers receive: the accounts, sorted, and the input errors of the run."""

    accounts: tuple[Account, ...]
    errors: tuple[InputError, ...]


def collect(inputs: Iterable[Stream | InputError], options: LintOptions | None = None) -> PathsView:
    """Read the inputs as a lint run would and return the graph of their service accounts."""
    collector = Collector()
    result: LintResult = lint(inputs, RuleSet((collector,)), options)
    ordered = sorted(collector.accounts.values(), key=lambda a: a.key)
    return PathsView(tuple(ordered), tuple(result.errors))
