"""Tests for ConfigLoader: layering, environment chains, file patterns and merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.config import ConfigLoader
from tests.config.conftest import WriteConf

# -- layering and deep merge -----------------------------------------------------------------


def test_the_run_environment_is_merged_over_base_key_by_key(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  test_size: 0.2\n  seed: 1\n")
    write("local/parameters.yml", "model:\n  test_size: 0.3\n")

    assert ConfigLoader(conf)["parameters"] == {"model": {"test_size": 0.3, "seed": 1}}


def test_lists_are_replaced_not_concatenated(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "features: [a, b, c]\n")
    write("local/parameters.yml", "features: [d]\n")

    assert ConfigLoader(conf)["parameters"] == {"features": ["d"]}


def test_env_none_loads_base_only(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    write("local/parameters.yml", "a: 2\n")

    assert ConfigLoader(conf, env=None)["parameters"] == {"a": 1}


def test_a_missing_local_folder_is_allowed(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")

    loader = ConfigLoader(conf)

    assert loader.environments == ("base",)
    assert loader["parameters"] == {"a": 1}


def test_results_are_plain_dicts_and_fresh_copies(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model: {a: '${model_b}'}\nmodel_b: [1]\n")
    loader = ConfigLoader(conf)

    first = loader["parameters"]
    first["model"]["a"].append(2)

    assert type(first["model"]) is dict
    assert type(first["model"]["a"]) is list
    assert loader["parameters"] == {"model": {"a": [1]}, "model_b": [1]}


def test_a_key_with_no_files_is_empty(conf: Path) -> None:
    assert ConfigLoader(conf)["credentials"] == {}


def test_the_loader_is_a_mapping_of_its_pattern_keys(conf: Path) -> None:
    loader = ConfigLoader(conf)

    assert set(loader) == {"catalog", "parameters", "credentials", "globals"}
    assert len(loader) == 4
    assert "catalog" in loader
    assert "spark" not in loader


def test_an_unknown_key_is_a_key_error_with_a_suggestion(conf: Path) -> None:
    with pytest.raises(KeyError, match="Did you mean 'catalog'"):
        ConfigLoader(conf)["catalgo"]


# -- environment inheritance -----------------------------------------------------------------


def test_an_environment_inherits_its_parent_declared_in_environment_yml(
    conf: Path, write: WriteConf
) -> None:
    write("base/parameters.yml", "a: base\nb: base\nc: base\n")
    write("staging/parameters.yml", "b: staging\nc: staging\n")
    write("prod/environment.yml", "inherits: staging\n")
    write("prod/parameters.yml", "c: prod\n")

    loader = ConfigLoader(conf, env="prod")

    assert loader.environments == ("base", "staging", "prod")
    assert loader["parameters"] == {"a": "base", "b": "staging", "c": "prod"}


def test_chains_of_any_length_are_followed(conf: Path, write: WriteConf) -> None:
    write("a/parameters.yml", "x: [a]\n")
    write("b/environment.yml", "inherits: a\n")
    write("c/environment.yml", "inherits: b\n")
    write("c/parameters.yml", "y: c\n")

    loader = ConfigLoader(conf, env="c")

    assert loader.environments == ("base", "a", "b", "c")
    assert loader["parameters"] == {"x": ["a"], "y": "c"}


def test_inheriting_base_explicitly_is_the_same_as_no_parent(conf: Path, write: WriteConf) -> None:
    write("prod/environment.yml", "inherits: base\n")

    assert ConfigLoader(conf, env="prod").environments == ("base", "prod")


# -- file patterns -----------------------------------------------------------------------------


def test_default_patterns_find_prefixed_files_and_subfolders_in_both_extensions(
    conf: Path, write: WriteConf
) -> None:
    write("base/catalog.yml", "a: {type: x}\n")
    write("base/catalog_extra.yaml", "b: {type: x}\n")
    write("base/catalog/raw/c.yml", "c: {type: x}\n")
    write("base/catalog/d.yaml", "d: {type: x}\n")

    assert set(ConfigLoader(conf)["catalog"]) == {"a", "b", "c", "d"}


def test_files_matching_no_pattern_hidden_files_and_environment_yml_are_ignored(
    conf: Path, write: WriteConf
) -> None:
    write("base/parameters.yml", "a: 1\n")
    write("base/notes.yml", "b: 2\n")
    write("base/.parameters_hidden.yml", "c: 3\n")
    write("base/parameters/.hidden/d.yml", "d: 4\n")
    write("base/parameters.txt", "e: 5\n")
    write("prod/environment.yml", "inherits: base\n")
    patterns = {"parameters": ["parameters*.yml", "parameters/**/*.yml", "*.yml"]}

    loader = ConfigLoader(conf, env="prod", patterns={"everything": ["**/*.yml"]})

    assert loader["parameters"] == {"a": 1}
    assert loader["everything"] == {"a": 1, "b": 2}
    assert ConfigLoader(conf, env="prod", patterns=patterns)["parameters"] == {"a": 1, "b": 2}


def test_user_patterns_can_be_added_after_construction(conf: Path, write: WriteConf) -> None:
    write("base/spark.yml", "spark.executor.memory: 2g\n")
    write("base/spark/extra.yml", "other: 1\n")
    loader = ConfigLoader(conf)

    loader.patterns["spark"] = ["spark*.yml", "spark/**/*.yml"]

    assert loader["spark"] == {"spark.executor.memory": "2g", "other": 1}


def test_files_of_one_environment_are_merged_in_sorted_order(conf: Path, write: WriteConf) -> None:
    write("base/parameters/b.yml", "second: {x: 1}\n")
    write("base/parameters/a.yml", "first: {x: 1}\n")

    assert list(ConfigLoader(conf)["parameters"]) == ["first", "second"]


def test_each_file_is_read_once(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("base/parameters.yml", "a: '${globals:g}'\n")
    write("base/catalog.yml", "c: {path: '${globals:g}'}\n")
    write("base/globals.yml", "g: 1\n")
    reads: list[str] = []
    original = Path.read_text

    def counting(self: Path, *args: object, **kwargs: object) -> str:
        reads.append(self.name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counting)
    loader = ConfigLoader(conf)
    for _ in range(2):
        loader["parameters"]
        loader["catalog"]
        loader.explain("a")

    assert sorted(reads) == ["catalog.yml", "globals.yml", "parameters.yml"]
