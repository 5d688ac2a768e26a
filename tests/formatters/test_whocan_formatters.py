"""The who-can view as text and JSON, and the command that prints it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tokenlint.cli import app

pytestmark = pytest.mark.usefixtures("at_root")


def test_text_names_each_subject_its_bindings_and_the_workloads_with_its_token() -> None:
    outcome = CliRunner().invoke(app, ["who-can", "get", "secrets", "examples/acme-shop"])
    assert outcome.exit_code == 0
    assert outcome.stdout == (
        "who can get secrets (core group) in any namespace:\n"
        "\n"
        "ServiceAccount acme-prod/api\n"
        "  through:\n"
        "    RoleBinding acme-prod/api-config-reader -> Role acme-prod/api-config-reader rules[1],"
        " in namespace acme-prod (examples/acme-shop/rbac.yaml:10)\n"
        "  tokens carried by:\n"
        "    Deployment acme-prod/api (automount, examples/acme-shop/api.yaml:24)\n"
        "\n"
        "1 subject; 1 workload carries their tokens\n"
    )


def test_json_is_versioned_and_says_the_request() -> None:
    args = ["who-can", "create", "pods/exec", "-n", "ci", "tests/dumps/cluster.yaml", "--format", "json"]
    outcome = CliRunner().invoke(app, args)
    data = json.loads(outcome.stdout)
    assert data["request"] == {
        "verb": "create",
        "group": "",
        "resource": "pods/exec",
        "namespace": "ci",
        "clusterScoped": False,
    }
    deployer, masters = data["subjects"]
    assert (deployer["kind"], deployer["namespace"], deployer["name"]) == ("ServiceAccount", "ci", "deployer")
    [through] = deployer["through"]
    assert (through["binding"], through["role"], through["scope"], through["kubernetesOwn"]) == (
        "RoleBinding ci/deployer-edit",
        "ClusterRole edit",
        "ci",
        False,
    )
    assert through["rule"] == "(aggregated from ClusterRole system:aggregate-to-edit) rules[2]"
    assert (masters["kind"], masters["name"], masters["through"][0]["kubernetesOwn"]) == (
        "Group",
        "system:masters",
        True,
    )
    assert data["errors"] == []


def test_a_malformed_resource_is_a_usage_error() -> None:
    outcome = CliRunner().invoke(app, ["who-can", "get", "pods/", "examples/acme-shop"])
    assert outcome.exit_code == 2
    assert "not a resource: 'pods/'" in outcome.stderr
