"""The `paths` data document: criticality levels, sensitive categories, precise errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tidegate.errors import ConfigError
from tidegate.risk.paths import DEFAULT_SENSITIVE, SENSITIVE_CATEGORIES, PathRules, path_rules

DATA = """
criticality:
  - {glob: "src/**", level: 200}
  - {glob: "src/payments/**", level: 1000}
  - {glob: "src/payments/legacy/**", level: 1000}
  - {glob: "docs/**", level: 0}
sensitive:
  - {glob: "policies/**", category: policy}
  - {glob: ".github/workflows/**", category: ci}
  - {glob: "**/CODEOWNERS", category: codeowners}
"""


def _rules() -> PathRules:
    return path_rules(yaml.safe_load(DATA))


def test_criticality_is_the_highest_matching_level_first_glob_on_ties() -> None:
    rules = _rules()
    assert rules.criticality_of("src/payments/legacy/a.py") == (1000, "src/payments/**")
    assert rules.criticality_of("src/util.py") == (200, "src/**")
    assert rules.criticality_of("docs/a.md") == (0, "docs/**")
    assert rules.criticality_of("README.md") is None


def test_sensitive_category_is_the_first_match() -> None:
    rules = _rules()
    assert rules.sensitive_category("policies/gate.rego") == "policy"
    assert rules.sensitive_category(".github/workflows/ci.yml") == "ci"
    assert rules.sensitive_category("CODEOWNERS") == "codeowners"
    assert rules.sensitive_category(".github/CODEOWNERS") == "codeowners"
    assert rules.sensitive_category("src/a.py") is None


def test_missing_or_null_lists_are_empty() -> None:
    assert path_rules({}) == PathRules()
    assert path_rules({"criticality": None, "sensitive": []}) == PathRules()


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (
            {
                "criticality": [
                    {"glob": "a", "level": 1},
                    {"glob": "b", "level": 2},
                    {"glob": "c", "level": 1001},
                ]
            },
            "paths.criticality[2].level",
        ),
        ({"criticality": [{"glob": "a", "level": True}]}, "paths.criticality[0].level"),
        ({"criticality": [{"glob": "a", "level": "high"}]}, "paths.criticality[0].level"),
        ({"criticality": [{"glob": "a", "level": -1}]}, "paths.criticality[0].level"),
        ({"criticality": [{"glob": "", "level": 1}]}, "paths.criticality[0].glob"),
        ({"criticality": [{"level": 1}]}, "paths.criticality[0].glob"),
        ({"criticality": ["src/**"]}, "paths.criticality[0]"),
        ({"criticality": {"glob": "a"}}, "paths.criticality"),
        ({"criticality": [{"glob": "a", "level": 1, "lvl": 2}]}, "paths.criticality[0].lvl"),
        ({"sensitive": [{"glob": "a", "category": "secrets"}]}, "paths.sensitive[0].category"),
        ({"sensitive": [{"glob": 3, "category": "ci"}]}, "paths.sensitive[0].glob"),
        ({"criticalty": []}, "paths.criticalty"),
    ],
)
def test_malformed_items_name_their_key_path(data: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        path_rules(data)
    assert caught.value.message.startswith(where + ":")


def test_non_mapping_document_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^paths:"):
        path_rules(["x"])  # type: ignore[arg-type]


def test_default_sensitive_globs_cover_the_documented_files() -> None:
    rules = PathRules(sensitive=DEFAULT_SENSITIVE)
    expected = {
        "policies/gate.rego": "policy",
        "policies/data/risk.yaml": "policy",
        "policies/data/waivers.yaml": "waiver",
        "waivers.json": "waiver",
        "config/waivers.yaml": "waiver",
        ".tidegate/waivers/2025.json": "waiver",
        ".github/workflows/release.yml": "ci",
        ".gitlab-ci.yml": "ci",
        ".circleci/config.yml": "ci",
        "Jenkinsfile": "ci",
        "build/Jenkinsfile": "ci",
        "azure-pipelines.yml": "ci",
        ".tidegate/config.toml": "ledger_config",
        "CODEOWNERS": "codeowners",
        ".github/CODEOWNERS": "codeowners",
        "docs/CODEOWNERS": "codeowners",
        "src/app.py": None,
        "docs/policies.md": None,
    }
    for path, category in expected.items():
        assert rules.sensitive_category(path) == category, path
    assert {category for _, category in DEFAULT_SENSITIVE} == set(SENSITIVE_CATEGORIES)


def test_default_policy_data_mirrors_the_constant_when_present() -> None:
    shipped = Path(__file__).resolve().parents[2] / "policies" / "data" / "paths.yaml"
    if not shipped.is_file():
        pytest.skip("policies/data/paths.yaml is not written yet")
    rules = path_rules(yaml.safe_load(shipped.read_text()))
    assert rules.sensitive == DEFAULT_SENSITIVE
