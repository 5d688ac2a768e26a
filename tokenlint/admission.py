"""What a rule declares to be checked at admission time: CEL over the one object of a request.

A rule whose verdict depends on one object only can also be enforced in the cluster, by
a ValidatingAdmissionPolicy or a Kyverno ClusterPolicy that ``tokenlint export`` writes.
The rule declares that check itself (:meth:`tokenlint.rulekit.rule.Rule.admission`), in its own
module beside :meth:`check`, built from the same constants and Kubernetes helpers the
Python check uses; the tests evaluate every expression with a real CEL runtime on every
fixture of the rule and compare its verdict with the linter's. A rule that needs other
objects (a ServiceAccount, a NetworkPolicy, the bindings of a role) says why it cannot
be exported instead.

The CEL stays within what both Kubernetes' CEL environment and the Python runtimes
evaluate: standard CEL, ``has()``, the ``all``/``exists``/``map``/``filter`` macros and
string functions; never optional fields (``?.``). Every field that may be absent is
guarded with ``has()``, because selecting an absent field is an evaluation error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

OPERATIONS = ("CREATE", "UPDATE")


@dataclass(frozen=True)
class Validation:
    """One CEL expression that must hold for the object to be admitted, and the message
    shown when it does not (``message_expression``: CEL for a message naming the object)."""

    expression: str
    message: str
    message_expression: str | None = None


@dataclass(frozen=True)
class AdmissionCheck:
    """One admission policy's worth of a rule.

    ``kinds`` are the kinds of the objects it applies to (see
    :data:`tokenlint.k8s.admission.API_RESOURCES`). ``conditions`` are CEL match
    conditions (name, expression) that select the objects the rule looks at at all;
    ``variables`` (name, expression) may be used by the validations as
    ``variables.<name>``. ``account`` is CEL for the name of the service account the
    object's pods run as (or the ServiceAccount's own name), read from the variable
    ``holder``, which is bound to the CEL ``holder`` (the pod spec, the object): match
    conditions cannot use ``variables``. ``suppressible`` says whether the rule's
    suppression annotation on the object applies (it does where the linter reports on
    that object). ``part`` names the policy when a rule exports
    several; ``covers`` says in words what the policy decides, ``limits`` where it
    differs from the linter.
    """

    kinds: tuple[str, ...]
    validations: tuple[Validation, ...]
    covers: str
    conditions: tuple[tuple[str, str], ...] = ()
    variables: tuple[tuple[str, str], ...] = ()
    account: str | None = None
    holder: str = "object"
    suppressible: bool = True
    part: str = ""
    operations: tuple[str, ...] = OPERATIONS
    limits: tuple[str, ...] = field(default=())

    def on_account(self, test: Callable[[str], str]) -> str | None:
        """CEL applying ``test`` to the account name, the holder bound once by a one-element
        comprehension; None when the check has no account."""
        if self.account is None:
            return None
        return f"[{self.holder}].all(holder, {test(self.account)})"

    def expressions(self) -> list[str]:
        """Every CEL expression of the check: conditions, variables and validations."""
        return [
            *(e for _, e in self.conditions),
            *(e for _, e in self.variables),
            *(v.expression for v in self.validations),
            *(v.message_expression for v in self.validations if v.message_expression),
        ]


@dataclass(frozen=True)
class NotExportable:
    """Why a rule has no admission form: said in the exported file instead of pretending."""

    reason: str


Exported = tuple[AdmissionCheck, ...] | NotExportable

CROSS_RESOURCE = NotExportable(
    "decided across resources (workloads, service accounts, bindings, roles, policies): "
    "one admission request holds one object"
)


def cel_string(text: str) -> str:
    """A single-quoted CEL string literal (JSON's escapes are CEL's for what JSON escapes)."""
    inner = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{inner}'"


def cel_list(values: Iterable[str]) -> str:
    """A CEL list of string literals."""
    return "[" + ", ".join(cel_string(v) for v in values) + "]"


def cel_has_key(mapping: str, key: str) -> str:
    """Whether the map at ``mapping`` (an optional field, e.g. ``object.metadata.labels``)
    holds ``key``: keys such as ``kubernetes.io/bootstrapping`` are not identifiers."""
    return f"has({mapping}) && {cel_string(key)} in {mapping}"


def cel_all_of(expressions: Iterable[str]) -> str:
    """The conjunction of ``expressions``, each parenthesised; ``true`` when there are none."""
    parts = [f"({e})" for e in expressions]
    return " && ".join(parts) if parts else "true"
