"""Tests for ConfigLoader.explain: where each value came from, in order, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.config import MASK, ConfigLoader, Provenance
from datamill.errors import ConfigError
from tests.config.conftest import WriteConf


@pytest.fixture
def layered(conf: Path, write: WriteConf) -> Path:
    write("base/parameters.yml", "# model settings\nmodel:\n  seed: 1\n  test_size: 0.2\n")
    write("staging/parameters/model.yml", "model:\n\n  test_size: 0.25\n")
    write("prod/environment.yml", "inherits: staging\n")
    write("prod/parameters.yml", "other: 1\n")
    return conf


def test_explain_lists_every_file_and_line_in_merge_order(layered: Path) -> None:
    loader = ConfigLoader(layered, env="prod")

    explanation = loader.explain("model.test_size")

    assert explanation.value == 0.25
    assert explanation.sources == (
        Provenance("base", str(layered / "base/parameters.yml"), 4, 0.2),
        Provenance("staging", str(layered / "staging/parameters/model.yml"), 3, 0.25),
    )


def test_runtime_params_are_the_last_source(layered: Path) -> None:
    loader = ConfigLoader(layered, env="prod", runtime_params={"model.test_size": 0.3})

    explanation = loader.explain("model.test_size")

    assert explanation.value == 0.3
    assert [s.env for s in explanation.sources] == ["base", "staging", "runtime_params"]
    assert explanation.sources[-1] == Provenance("runtime_params", None, None, 0.3)
    assert explanation.sources[-1].location == "--params"


def test_explaining_a_mapping_lists_each_file_that_contributes(layered: Path) -> None:
    explanation = ConfigLoader(layered, env="prod").explain("model")

    assert explanation.value == {"seed": 1, "test_size": 0.25}
    assert [(s.env, s.line) for s in explanation.sources] == [("base", 2), ("staging", 1)]


def test_explain_works_on_the_catalog_with_resolved_values(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "root: data\n")
    write("base/catalog.yml", "companies:\n  type: x\n  filepath: ${globals:root}/c.csv\n")

    explanation = ConfigLoader(conf).explain("companies.filepath", config="catalog")

    assert explanation.value == "data/c.csv"
    assert explanation.sources == (
        Provenance("base", str(conf / "base/catalog.yml"), 3, "data/c.csv"),
    )


def test_credentials_are_masked_in_values_and_sources(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DM_TEST_PASSWORD", "s3cret")
    write("base/credentials.yml", "db:\n  user: admin\n  password: ${env:DM_TEST_PASSWORD}\n")
    write("local/credentials.yml", "db:\n  password: other\n")
    loader = ConfigLoader(conf)

    leaf = loader.explain("db.password", config="credentials")
    mapping = loader.explain("db", config="credentials")

    assert leaf.value == MASK
    assert [(s.env, s.line, s.value) for s in leaf.sources] == [
        ("base", 3, MASK),
        ("local", 2, MASK),
    ]
    assert mapping.value == {"user": MASK, "password": MASK}
    assert "s3cret" not in str(leaf) + str(mapping)
    assert "other" not in str(leaf) + str(mapping)


def test_the_text_form_shows_key_value_and_locations(layered: Path) -> None:
    text = str(ConfigLoader(layered, env="prod").explain("model.test_size"))

    lines = text.splitlines()
    assert lines[0] == "parameters: model.test_size = 0.25"
    assert lines[1].split() == ["base", f"{layered / 'base/parameters.yml'}:4", "0.2"]
    assert lines[2].split() == ["staging", f"{layered / 'staging/parameters/model.yml'}:3", "0.25"]


def test_an_unset_key_suggests_the_closest_key(layered: Path) -> None:
    with pytest.raises(ConfigError, match=r"'model\.test_sise' is not set.*'model\.test_size'"):
        ConfigLoader(layered, env="prod").explain("model.test_sise")
