"""Findings built by hand for the reporter tests, so that no rule change can move them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tokenlint.engine.run import LintResult
from tokenlint.model import Finding, InputError, Location, Related, ResourceRef, Severity, Suppression
from tokenlint.report.result import Report
from tokenlint.rulekit.registry import RuleSet
from tokenlint.rulekit.rule import ResourceRule, RuleMeta

AUTOMOUNT_PAGE = """# TL001 automount-service-account-token

## What it does

Finds workloads whose pods get a service account token mounted
without needing one.

## Why is this bad?

Code execution in the pod reads the token.
"""

META_TL001 = RuleMeta(
    "TL001", "automount-service-account-token", Severity.HIGH, "pods get a token mounted", help_text=AUTOMOUNT_PAGE
)
META_TL003 = RuleMeta("TL003", "rbac-wildcard-verb", Severity.CRITICAL, "wildcard verb in a role", help_text="# TL003")
META_TL006 = RuleMeta("TL006", "long-lived-projected-token", Severity.MEDIUM, "token lives too long")
META_TL201 = RuleMeta(
    "TL201", "token-escalation-path", Severity.CRITICAL, "a mounted token reaches cluster admin", tags=("rbac",)
)
METAS = (META_TL001, META_TL003, META_TL006, META_TL201)

API = ResourceRef("apps/v1", "Deployment", "acme-prod", "api")
WILD = ResourceRef("rbac.authorization.k8s.io/v1", "ClusterRole", None, "wild")
BINDING = ResourceRef("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, "api-admin")
SA = ResourceRef("v1", "ServiceAccount", "acme-prod", "api")


def fake_rule(meta: RuleMeta) -> ResourceRule:
    """A rule that only carries metadata: reporters read nothing else."""
    cls = type(f"Fake{meta.id}", (ResourceRule,), {"meta": meta, "check": lambda self, resource, ctx: None})
    rule: ResourceRule = cls()
    return rule


def ruleset(*metas: RuleMeta) -> RuleSet:
    return RuleSet(tuple(fake_rule(meta) for meta in metas))


RULESET = ruleset(*METAS)


def finding(meta: RuleMeta = META_TL001, **changes: Any) -> Finding:
    """A finding of ``meta``'s rule on the Deployment ``acme-prod/api``; ``changes`` override fields."""
    fields: dict[str, Any] = {
        "rule": meta.id,
        "name": meta.name,
        "severity": meta.severity,
        "message": "pods mount the token of service account api",
        "resource": API,
        "location": Location("deploy/api.yaml", 12, 7, 12, 17),
        "field_path": ("spec", "template", "spec"),
    }
    fields.update(changes)
    return Finding(**fields)


def wildcard_finding() -> Finding:
    return finding(
        META_TL003,
        message="verbs: ['*'] grants every verb",
        resource=WILD,
        location=Location("rbac/roles.yaml", 8, 13, 8, 16),
        field_path=("rules", 0, "verbs", 0),
    )


def chain_finding() -> Finding:
    return finding(
        META_TL201,
        message="the mounted token of service account api reaches cluster-admin",
        related=(
            Related("service account api mounts its token", Location("deploy/sa.yaml", 4, 9, 4, 12), SA),
            Related("bound to cluster-admin", Location("rbac/bind.yaml", 9, 3, 9, 7), BINDING),
        ),
        chain=True,
    )


def suppressed_finding(kind: str = "annotation") -> Finding:
    where = Location("deploy/api.yaml", 6, 5, 6, 40) if kind in ("annotation", "comment") else None
    return finding(suppression=Suppression(kind, "batch job needs the API", where))


PARSE_ERROR = InputError("deploy/bad.yaml", 17, 5, "YAML syntax error: mapping values are not allowed here")
UNREADABLE = InputError("deploy/missing.yaml", None, None, "no such file or directory")


def make_report(
    findings: Sequence[Finding] = (),
    errors: Sequence[InputError] = (),
    rules: RuleSet = RULESET,
    **options: Any,
) -> Report:
    result = LintResult(list(findings), list(errors), files=3, documents=5, resources=4)
    return Report(result, rules, **options)
