"""Tests for configuration errors: each names the file, key and line, and suggests a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.config import ConfigLoader
from datamill.errors import ConfigError, DatamillError
from tests.config.conftest import WriteConf


def test_a_key_defined_in_two_files_of_one_environment_names_both_files_and_lines(
    conf: Path, write: WriteConf
) -> None:
    first = write("base/catalog.yml", "a: {type: x}\n\ncompanies:\n  type: x\n")
    second = write("base/catalog/raw.yml", "# raw data\ncompanies: {type: y}\n")

    with pytest.raises(ConfigError) as caught:
        ConfigLoader(conf)["catalog"]

    message = str(caught.value)
    assert "'companies' is defined twice in environment 'base'" in message
    assert f"{first}:3" in message
    assert f"{second}:2" in message
    assert (caught.value.key, caught.value.path, caught.value.line) == ("companies", str(second), 2)


def test_the_same_key_in_two_environments_is_an_override_not_a_duplicate(
    conf: Path, write: WriteConf
) -> None:
    write("base/catalog.yml", "companies: {type: x}\n")
    write("local/catalog.yml", "companies: {type: y}\n")

    assert ConfigLoader(conf)["catalog"] == {"companies": {"type": "y"}}


def test_a_key_repeated_in_one_mapping_names_both_lines(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  seed: 1\n  seed: 2\n")

    with pytest.raises(ConfigError, match=r"'model\.seed' is defined twice.*lines 2 and 3"):
        ConfigLoader(conf)["parameters"]


def test_malformed_yaml_names_the_file_and_line(conf: Path, write: WriteConf) -> None:
    path = write("base/parameters.yml", "a: 1\nb: [1, 2\nc: 3\n")

    with pytest.raises(ConfigError, match=r"parameters\.yml:\d+: invalid YAML") as caught:
        ConfigLoader(conf)["parameters"]

    assert caught.value.path == str(path)
    assert caught.value.line is not None
    assert caught.value.line >= 2


def test_a_file_that_is_not_a_mapping_is_an_error(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "- a\n- b\n")

    with pytest.raises(ConfigError, match="mapping of keys at the top level, found a list"):
        ConfigLoader(conf)["parameters"]


def test_an_empty_file_is_an_empty_mapping(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "# nothing yet\n")

    assert ConfigLoader(conf)["parameters"] == {}


def test_a_missing_base_folder_suggests_datamill_new_or_conf_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"datamill new.*--conf-source") as caught:
        ConfigLoader(tmp_path / "conf")

    assert caught.value.path == str(tmp_path / "conf" / "base")
    assert isinstance(caught.value, DatamillError)


def test_an_unknown_environment_lists_the_available_ones_with_did_you_mean(
    conf: Path, write: WriteConf
) -> None:
    write("prod/parameters.yml", "a: 1\n")
    write("staging/parameters.yml", "a: 1\n")

    with pytest.raises(ConfigError) as caught:
        ConfigLoader(conf, env="prdo")

    message = str(caught.value)
    assert "Unknown environment 'prdo'" in message
    assert "Available environments: 'prod', 'staging'" in message
    assert "Did you mean 'prod'?" in message


def test_an_unknown_parent_names_the_environment_that_inherits_it(
    conf: Path, write: WriteConf
) -> None:
    write("staging/parameters.yml", "a: 1\n")
    write("prod/environment.yml", "inherits: stagign\n")

    with pytest.raises(ConfigError, match=r"'stagign' \(inherited by 'prod'.*'staging'"):
        ConfigLoader(conf, env="prod")


def test_an_inheritance_cycle_is_shown_as_a_path(conf: Path, write: WriteConf) -> None:
    write("prod/environment.yml", "inherits: staging\n")
    write("staging/environment.yml", "inherits: prod\n")

    with pytest.raises(ConfigError, match="cycle: prod -> staging -> prod"):
        ConfigLoader(conf, env="prod")


def test_a_cycle_reached_from_a_child_shows_only_the_loop(conf: Path, write: WriteConf) -> None:
    write("dev/environment.yml", "inherits: a\n")
    write("a/environment.yml", "inherits: b\n")
    write("b/environment.yml", "inherits: a\n")

    with pytest.raises(ConfigError, match="cycle: a -> b -> a"):
        ConfigLoader(conf, env="dev")


def test_base_cannot_inherit(conf: Path, write: WriteConf) -> None:
    write("base/environment.yml", "inherits: prod\n")
    write("prod/parameters.yml", "a: 1\n")

    with pytest.raises(ConfigError, match="cannot inherit"):
        ConfigLoader(conf, env="prod")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("inherits: [a, b]\n", "must be the name of one environment"), ("parent: a\n", "'parent'")],
)
def test_a_malformed_environment_file_is_an_error(
    conf: Path, write: WriteConf, text: str, expected: str
) -> None:
    write("prod/environment.yml", text)

    with pytest.raises(ConfigError, match=expected):
        ConfigLoader(conf, env="prod")
