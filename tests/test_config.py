from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import jsonschema
import pytest
from helpers import write
from manifests import LEGACY_TOKEN_SECRET
from typer.testing import CliRunner

from tokenlint.app.config import (
    ChartSettings,
    ConfigError,
    Problem,
    config_schema,
    find_config,
    load_config,
)
from tokenlint.cli import app
from tokenlint.model import Severity
from tokenlint.resources.resource import Resource
from tokenlint.rulekit.registry import RuleLoadError, RuleSet
from tokenlint.rulekit.rule import Context, ResourceRule, RuleMeta


class _Lifetime(ResourceRule):
    meta: ClassVar[RuleMeta] = RuleMeta(
        id="TL006",
        name="long-lived-projected-token",
        severity=Severity.MEDIUM,
        summary="s",
        options={"max-expiration-seconds": {"type": "integer", "minimum": 600, "default": 86400}},
    )

    def check(self, resource: Resource, ctx: Context) -> None:
        return None


class _Secret(ResourceRule):
    meta: ClassVar[RuleMeta] = RuleMeta(id="TL002", name="legacy-token-secret", severity=Severity.HIGH, summary="s")

    def check(self, resource: Resource, ctx: Context) -> None:
        return None


RULES = RuleSet((_Secret(), _Lifetime()))

FULL = """\
select: [TL0]
ignore:
  - legacy-token-secret
severity:
  TL002: critical
exclude:
  - vendor/
  - "*.generated.yaml"
rules:
  TL006:
    max-expiration-seconds: 3600
trusted-service-accounts:
  - kube-system/cluster-autoscaler
charts:
  charts/shop:
    values: [values-prod.yaml]
    namespace: shop-prod
custom-rules: [policies]
max-file-size: 8 MiB
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, path.name)
    return [str(p) for p in caught.value.problems]


# Finding the file


def test_find_config_walks_up_from_the_working_directory(tmp_path: Path) -> None:
    config = write(tmp_path, ".tokenlint.yaml", "{}\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_config(nested) == config


def test_find_config_prefers_the_dedicated_file_over_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.tokenlint]\nselect = ['TL0']\n")
    config = write(tmp_path, ".tokenlint.yml", "{}\n")
    assert find_config(tmp_path) == config


def test_find_config_takes_the_nearest_pyproject_with_a_tokenlint_table(tmp_path: Path) -> None:
    write(tmp_path, ".tokenlint.yaml", "{}\n")
    write(tmp_path / "app", "pyproject.toml", "[project]\nname = 'x'\n")
    nearer = write(tmp_path / "app" / "sub", "pyproject.toml", "[tool.tokenlint]\nignore = ['TL111']\n")
    assert find_config(tmp_path / "app" / "sub") == nearer
    assert find_config(tmp_path / "app") == tmp_path / ".tokenlint.yaml"


def test_find_config_skips_folders_it_cannot_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path, ".tokenlint.yaml", "{}\n")
    locked = tmp_path / "locked"
    (locked / "work").mkdir(parents=True)
    real_is_file = Path.is_file

    def is_file(self: Path) -> bool:  # what stat() does below a folder without search permission
        if locked in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_file(self)

    monkeypatch.setattr(Path, "is_file", is_file)
    assert find_config(locked / "work") == config


def test_a_missing_custom_rule_folder_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "ignore: [TL007]\ncustom-rules:\n  - policies/\n")
    assert problems_of(path) == [
        f".tokenlint.yaml:3: custom-rules[0]: folder policies/ not found (relative to {tmp_path.resolve().as_posix()})"
    ]


def test_a_chart_entry_for_a_missing_path_is_a_warning_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "charts" / "real").mkdir(parents=True)
    path = write(tmp_path, ".tokenlint.yaml", "charts:\n  charts/real: {namespace: a}\n  charts/gone: {namespace: b}\n")
    config = load_config(path, ".tokenlint.yaml")
    assert [str(w) for w in config.warnings] == [
        f".tokenlint.yaml:3: charts: charts/gone does not exist (relative to {tmp_path.resolve().as_posix()})"
    ]


def test_a_configuration_that_is_not_a_regular_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    assert problems_of(tmp_path / "fifo.yaml") == ["fifo.yaml: cannot read: not a regular file: a named pipe (FIFO)"]


def test_no_config_means_the_defaults(tmp_path: Path) -> None:
    config = load_config(None)
    assert config.source is None
    assert config.select == ()
    assert config.rule_options == {}
    assert not config.excludes("anything.yaml")


# Loading


def test_load_reads_every_setting(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    path = write(tmp_path, ".tokenlint.yaml", FULL)
    config = load_config(path, ".tokenlint.yaml")
    assert config.source == ".tokenlint.yaml"
    assert config.root == tmp_path.resolve()
    assert config.select == ("TL0",)
    assert config.ignore == ("legacy-token-secret",)
    assert config.severity == {"TL002": Severity.CRITICAL}
    assert config.exclude == ("vendor", "*.generated.yaml")
    assert config.rule_options == {"TL006": {"max-expiration-seconds": 3600}}
    assert config.trusted_service_accounts == frozenset({("kube-system", "cluster-autoscaler")})
    root = tmp_path.resolve()
    assert config.charts == {
        root / "charts/shop": ChartSettings(values=(root / "values-prod.yaml",), namespace="shop-prod")
    }
    assert config.custom_rules == (root / "policies",)
    assert config.max_file_size == 8 * 1024 * 1024


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ".tokenlint.yaml", "# nothing yet\n"))
    assert config.select == ()
    assert config.severity == {}


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "x"\n\n[tool.tokenlint]\nignore = ["TL111"]\n\n'
        "[tool.tokenlint.rules.TL006]\nmax-expiration-seconds = 7200\n"
    )
    config = load_config(write(tmp_path, "pyproject.toml", text), "pyproject.toml")
    assert config.ignore == ("TL111",)
    assert config.rule_options == {"TL006": {"max-expiration-seconds": 7200}}


# Invalid files: file, line and what was expected


def test_unknown_key_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "select: [TL001]\nignores: [TL002]\n")
    assert problems_of(path) == [
        ".tokenlint.yaml:2: ignores: unknown key (expected one of: select, ignore, severity, exclude,"
        " max-file-size, rules, trusted-service-accounts, charts, custom-rules)"
    ]


def test_wrong_values_point_at_their_lines_in_file_order(tmp_path: Path) -> None:
    text = "severity:\n  TL002: urgent\nexclude: vendor\ntrusted-service-accounts:\n  - cluster-autoscaler\n"
    assert problems_of(write(tmp_path, ".tokenlint.yaml", text)) == [
        ".tokenlint.yaml:2: severity.TL002: 'urgent' is not one of ['info', 'low', 'medium', 'high', 'critical']",
        ".tokenlint.yaml:3: exclude: 'vendor' is not of type 'array'",
        ".tokenlint.yaml:5: trusted-service-accounts[0]: 'cluster-autoscaler' is not namespace/name of a service"
        " account, e.g. kube-system/cluster-autoscaler",
    ]


def test_chart_settings_are_checked(tmp_path: Path) -> None:
    text = "charts:\n  charts/shop:\n    values: [a.yaml]\n    namespace: Shop_Prod\n    release: x\n"
    assert problems_of(write(tmp_path, ".tokenlint.yaml", text)) == [
        ".tokenlint.yaml:4: charts.charts/shop.namespace: 'Shop_Prod' is not a Kubernetes namespace name (DNS label)",
        ".tokenlint.yaml:5: charts.charts/shop.release: unknown key (expected one of: values, namespace)",
    ]


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "select: [TL001\nignore: []\n")
    (problem,) = problems_of(path)
    assert problem == (
        ".tokenlint.yaml:2: YAML syntax error: did not find expected ',' or ']'"
        " (while parsing a flow sequence started at line 1, column 9)"
    )


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "select: [TL001]\nselect: [TL002]\n")
    assert problems_of(path) == [".tokenlint.yaml:2: select: key written twice"]


def test_several_documents_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "select: [TL001]\n---\nignore: [TL002]\n")
    assert problems_of(path) == [".tokenlint.yaml:2: expected one YAML document, found several"]


def test_a_list_instead_of_settings_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "- TL001\n")
    assert problems_of(path) == [".tokenlint.yaml:1: document: ['TL001'] is not of type 'object'"]


def test_pyproject_errors_point_at_the_key(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.tokenlint]\nselect = ["TL001"]\nexclude = "vendor"\n'
    assert problems_of(write(tmp_path, "pyproject.toml", text)) == [
        "pyproject.toml:6: exclude: 'vendor' is not of type 'array'"
    ]


def test_pyproject_syntax_error_has_its_line(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, "pyproject.toml", '[tool.tokenlint]\nselect = ["TL001"\n'))
    assert problem == "pyproject.toml:2: TOML syntax error: Unclosed array (at end of document)"


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "missing.yaml") == ["missing.yaml: cannot read: No such file or directory"]


# Settling against the loaded rules


def test_settle_resolves_names_and_applies_options(tmp_path: Path) -> None:
    text = (
        "severity:\n  legacy-token-secret: low\n"
        "rules:\n  long-lived-projected-token:\n    max-expiration-seconds: 3600\n"
    )
    settings = load_config(write(tmp_path, ".tokenlint.yaml", text)).settle(RULES)
    assert [r.meta.id for r in settings.rules.rules] == ["TL002", "TL006"]
    assert settings.severity == {"TL002": Severity.LOW}
    assert settings.rule_options == {"TL006": {"max-expiration-seconds": 3600}}


def test_settle_reports_unknown_rules_and_bad_options_with_lines(tmp_path: Path) -> None:
    text = (
        "select: [TL006, TL999]\n"
        "severity:\n  TL007: low\n"
        "rules:\n  TL006:\n    max-expiration-seconds: 60\n    max-age: 1\n"
    )
    config = load_config(write(tmp_path, ".tokenlint.yaml", text), ".tokenlint.yaml")
    with pytest.raises(ConfigError) as caught:
        config.settle(RULES)
    assert [str(p) for p in caught.value.problems] == [
        ".tokenlint.yaml:1: select[1]: 'TL999' matches no rule (run 'tokenlint rules' for the list)",
        ".tokenlint.yaml:3: severity.TL007: 'TL007' matches no rule (run 'tokenlint rules' for the list)",
        ".tokenlint.yaml:6: rules.TL006.max-expiration-seconds: 60 is less than the minimum of 600",
        ".tokenlint.yaml:7: rules.TL006.max-age: unknown key (expected one of: max-expiration-seconds)",
    ]


def test_command_line_selection_replaces_the_configured_one(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ".tokenlint.yaml", "select: [TL002]\nignore: [TL006]\n"))
    assert [r.meta.id for r in config.settle(RULES).rules.rules] == ["TL002"]
    assert [r.meta.id for r in config.settle(RULES, select=["TL006"], ignore=["TL002"]).rules.rules] == ["TL006"]
    with pytest.raises(RuleLoadError, match="unknown rule 'TL999'"):
        config.settle(RULES, select=["TL999"])


# Excluding files


def test_exclude_matches_files_and_folders_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, ".tokenlint.yaml", "exclude: [vendor, 'charts/*/tests', '*.generated.yaml']\n")
    config = load_config(path)
    (tmp_path / "deploy").mkdir()
    monkeypatch.chdir(tmp_path / "deploy")
    assert config.excludes("../vendor/lib/x.yaml")
    assert config.excludes("../charts/shop/tests/t.yaml")
    assert config.excludes("api.generated.yaml")
    assert not config.excludes("api.yaml")
    assert not config.excludes("../charts/shop/templates/tests.yaml")
    assert config.excludes(os.fspath(tmp_path / "vendor" / "y.yaml"))


# The published schema


def test_published_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema())


def test_published_severities_are_the_severities() -> None:
    schema = json.loads(Path("tokenlint/data/config.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["severity"]["enum"] == [s.label for s in Severity]


def test_a_problem_without_a_line_names_the_file() -> None:
    assert str(Problem("x.yaml", None, "m")) == "x.yaml: m"


# The command line


def test_cli_reports_an_invalid_config_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, ".tokenlint.yaml", "severity:\n  TL002: urgent\n")
    write(tmp_path, "secret.yaml", LEGACY_TOKEN_SECRET)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(app, ["lint", "secret.yaml"])
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr == (
        ".tokenlint.yaml:2: severity.TL002: 'urgent' is not one of ['info', 'low', 'medium', 'high', 'critical']\n"
    )


def test_cli_reports_an_unknown_rule_in_the_config_with_its_line(tmp_path: Path) -> None:
    config = write(tmp_path, "team.yaml", "ignore:\n  - TL002\n  - TL0999\n")
    outcome = CliRunner().invoke(
        app, ["lint", "--config", str(config), str(write(tmp_path, "s.yaml", LEGACY_TOKEN_SECRET))]
    )
    assert outcome.exit_code == 2
    assert outcome.stderr.endswith(
        "team.yaml:3: ignore[1]: 'TL0999' matches no rule (run 'tokenlint rules' for the list)\n"
    )


def test_cli_applies_the_config_found_above_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, ".tokenlint.yaml", "ignore: [legacy-token-secret]\nexclude: [deploy/generated]\n")
    write(tmp_path / "deploy", "secret.yaml", LEGACY_TOKEN_SECRET)
    write(tmp_path / "deploy" / "generated", "other.yaml", "not: [valid\n")
    monkeypatch.chdir(tmp_path / "deploy")
    outcome = CliRunner().invoke(app, ["lint", "--format", "json", "."])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.stdout)["findings"] == []
    assert json.loads(outcome.stdout)["errors"] == []


def test_cli_select_flag_overrides_the_configured_ignore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, ".tokenlint.yaml", "select: [TL001]\n")
    write(tmp_path, "secret.yaml", LEGACY_TOKEN_SECRET)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(app, ["lint", "--format", "json", "--select", "TL002", "secret.yaml"])
    assert outcome.exit_code == 1
    assert [(f["rule"], f["location"]["line"]) for f in json.loads(outcome.stdout)["findings"]] == [("TL002", 5)]


def test_rule_option_formats_are_checked(tmp_path: Path) -> None:
    class _Egress(_Secret):
        meta: ClassVar[RuleMeta] = RuleMeta(
            id="TL005",
            name="metadata-egress",
            severity=Severity.HIGH,
            summary="s",
            options={"blocked-addresses": {"type": "array", "items": {"format": "ipv4"}, "default": []}},
        )

    text = "rules:\n  TL005:\n    blocked-addresses:\n      - 169.254.169.254\n      - 169.254.169.999\n"
    config = load_config(write(tmp_path, ".tokenlint.yaml", text), ".tokenlint.yaml")
    with pytest.raises(ConfigError) as caught:
        config.settle(RuleSet((_Egress(),)))
    assert [str(p) for p in caught.value.problems] == [
        ".tokenlint.yaml:5: rules.TL005.blocked-addresses[1]: '169.254.169.999' is not a 'ipv4'"
    ]


# The generated page


def test_config_page_is_generated_from_the_schema(load_script: Callable[[str], ModuleType]) -> None:
    module = load_script("gen_config_docs")
    page = Path(__file__).parents[1] / "docs" / "config.md"
    assert page.read_text(encoding="utf-8") == module.render(config_schema()), (
        "docs/config.md is stale: run python scripts/gen_config_docs.py"
    )
    for name in config_schema()["properties"]:
        assert f"### `{name}`" in page.read_text(encoding="utf-8")
