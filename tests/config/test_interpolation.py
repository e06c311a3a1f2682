"""Tests for interpolation: file-local references, globals, runtime params, env vars, privates."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.config import ConfigLoader
from datamill.config._yaml import YamlFile
from datamill.errors import ConfigError
from tests.config.conftest import WriteConf


def test_references_resolve_within_a_file(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "root: data\nraw: '${root}/01_raw'\nnested: {x: '${raw}'}\n")

    params = ConfigLoader(conf)["parameters"]

    assert params["raw"] == "data/01_raw"
    assert params["nested"] == {"x": "data/01_raw"}


def test_a_reference_to_another_file_is_an_error_naming_file_key_and_line(
    conf: Path, write: WriteConf
) -> None:
    write("base/parameters.yml", "a: 1\n")
    path = write("base/parameters_more.yml", "b: 2\nc: '${a}'\n")

    with pytest.raises(ConfigError, match=r"parameters_more\.yml:2.*'c'") as caught:
        ConfigLoader(conf)["parameters"]

    assert (caught.value.path, caught.value.key, caught.value.line) == (str(path), "c", 2)


# -- private keys ------------------------------------------------------------------------------


def test_private_top_level_keys_are_templates_dropped_from_the_result(
    conf: Path, write: WriteConf
) -> None:
    write(
        "base/catalog.yml",
        """
        _csv: {type: pandas.CSVDataset, load_args: {sep: ","}}
        companies: ${_csv}
        """,
    )

    catalog = ConfigLoader(conf)["catalog"]

    assert catalog == {"companies": {"type": "pandas.CSVDataset", "load_args": {"sep": ","}}}


def test_private_keys_may_repeat_across_files(conf: Path, write: WriteConf) -> None:
    write("base/catalog.yml", "_t: 1\na: '${_t}'\n")
    write("base/catalog_b.yml", "_t: 2\nb: '${_t}'\n")

    assert ConfigLoader(conf)["catalog"] == {"a": 1, "b": 2}


# -- globals -----------------------------------------------------------------------------------


def test_globals_are_layered_per_environment_and_usable_everywhere(
    conf: Path, write: WriteConf
) -> None:
    write("base/globals.yml", "bucket: s3://dev\nformat: {sep: ';'}\n")
    write("prod/globals.yml", "bucket: s3://prod\n")
    write(
        "base/catalog.yml",
        "cars: {path: '${globals:bucket}/cars.csv', sep: '${globals:format.sep}'}\n",
    )

    dev, prod = ConfigLoader(conf, env=None), ConfigLoader(conf, env="prod")

    assert dev["catalog"]["cars"] == {"path": "s3://dev/cars.csv", "sep": ";"}
    assert prod["catalog"]["cars"] == {"path": "s3://prod/cars.csv", "sep": ";"}


def test_a_global_default_is_used_only_when_the_global_is_missing(
    conf: Path, write: WriteConf
) -> None:
    write("base/globals.yml", "present: 1\n")
    write("base/parameters.yml", "a: '${globals:present,9}'\nb: '${globals:absent,9}'\n")

    assert ConfigLoader(conf)["parameters"] == {"a": 1, "b": 9}


def test_a_missing_global_without_default_suggests_the_closest(
    conf: Path, write: WriteConf
) -> None:
    write("base/globals.yml", "bucket: s3://b\n")
    write("base/parameters.yml", "a: '${globals:buckt}'\n")

    with pytest.raises(ConfigError, match=r"parameters\.yml.*buckt.*Did you mean 'bucket'"):
        ConfigLoader(conf)["parameters"]


def test_globals_cannot_refer_to_globals(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "a: 1\nb: '${globals:a}'\n")

    with pytest.raises(ConfigError, match="inside a globals file"):
        ConfigLoader(conf)["parameters"]


# -- runtime params ----------------------------------------------------------------------------


def test_runtime_params_interpolate_with_defaults(conf: Path, write: WriteConf) -> None:
    write("base/catalog.yml", "out: {path: 'data/${runtime_params:run.date,today}.csv'}\n")

    given = ConfigLoader(conf, runtime_params={"run.date": "2024-01-01"})
    default = ConfigLoader(conf)

    assert given["catalog"] == {"out": {"path": "data/2024-01-01.csv"}}
    assert default["catalog"] == {"out": {"path": "data/today.csv"}}


def test_a_missing_runtime_param_without_default_is_an_error(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: '${runtime_params:seed}'\n")

    with pytest.raises(ConfigError, match=r"runtime_params:seed.*--params"):
        ConfigLoader(conf)["parameters"]


def test_runtime_params_override_and_extend_parameters_by_dotted_key(
    conf: Path, write: WriteConf
) -> None:
    write("base/parameters.yml", "model: {test_size: 0.2, seed: 1}\n")
    write("local/parameters.yml", "model: {test_size: 0.25}\n")
    runtime = {"model.test_size": 0.3, "extra": {"flag": True}}

    params = ConfigLoader(conf, runtime_params=runtime)["parameters"]

    assert params == {"model": {"test_size": 0.3, "seed": 1}, "extra": {"flag": True}}


def test_runtime_params_do_not_leak_into_other_configuration(conf: Path, write: WriteConf) -> None:
    write("base/catalog.yml", "a: {type: x}\n")

    assert ConfigLoader(conf, runtime_params={"a.type": "y"})["catalog"] == {"a": {"type": "x"}}


# -- environment variables ---------------------------------------------------------------------


def test_env_vars_resolve_in_credentials(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DM_TEST_PASSWORD", "s3cret")
    monkeypatch.delenv("DM_TEST_ABSENT", raising=False)
    write(
        "base/credentials.yml",
        "db: {password: '${env:DM_TEST_PASSWORD}', user: '${env:DM_TEST_ABSENT,admin}'}\n",
    )

    assert ConfigLoader(conf)["credentials"] == {"db": {"password": "s3cret", "user": "admin"}}


def test_an_unset_env_var_without_default_is_an_error(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DM_TEST_ABSENT", raising=False)
    write("base/credentials.yml", "db: {password: '${env:DM_TEST_ABSENT}'}\n")

    with pytest.raises(ConfigError, match="'DM_TEST_ABSENT' is not set"):
        ConfigLoader(conf)["credentials"]


@pytest.mark.parametrize("reference", ["${env:HOME}", "${oc.env:HOME}", "x-${ env :HOME}"])
def test_env_vars_are_refused_outside_credentials_naming_file_key_and_line(
    conf: Path, write: WriteConf, reference: str
) -> None:
    path = write("base/catalog.yml", f"a:\n  type: x\n  path: '{reference}'\n")

    with pytest.raises(ConfigError, match=r"catalog\.yml:3.*'a\.path'.*only allowed in cred"):
        ConfigLoader(conf)["catalog"]

    with pytest.raises(ConfigError) as caught:
        ConfigLoader(conf)["catalog"]
    assert (caught.value.path, caught.value.key, caught.value.line) == (str(path), "a.path", 3)


# -- the direct path agrees with OmegaConf ---------------------------------------------------

EQUIVALENCE_FILE = """\
seed: ${globals:seed}
seed_text: "seed-${globals:seed}"
two: ${globals:seed}/${globals:paths.raw}
path: ${globals:paths.raw}/companies.csv
paths: ${globals:paths}
flag: ${globals:flag}
flag_text: is ${globals:flag}
none_text: is ${globals:nothing}
ratio: ${runtime_params:ratio, 0.25}
count: ${runtime_params:count,3}
neg: ${runtime_params:neg, -2}
exp: ${runtime_params:exp, 1e-3}
on: ${runtime_params:on, TRUE}
off: ${runtime_params:off,null}
word: ${runtime_params:word, some text }
given: ${runtime_params:given, 1}
model:
  split: {test_size: 0.2, seed: "${seed}"}
  size: ${model.split.test_size}
  copy: ${model.split}
  label: size=${model.split.test_size}
_template: {a: 1}
uses_template: ${_template}
items: ["${globals:seed}", {k: "${model.size}"}]
"""


def test_plain_interpolations_resolve_as_omegaconf_resolves_them(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datamill.config import _resolvers

    write("base/globals.yml", "seed: 7\npaths: {raw: data/01_raw}\nflag: true\nnothing: null\n")
    write("base/parameters.yml", EQUIVALENCE_FILE)
    runtime = {"given": "from-cli"}
    direct = ConfigLoader(conf, runtime_params=runtime)["parameters"]
    calls: list[object] = []

    def refuse(data: object, context: object) -> object:
        calls.append(data)
        return _resolvers._UNSUPPORTED

    monkeypatch.setattr(_resolvers, "_resolve_direct", refuse)
    through_omegaconf = ConfigLoader(conf, runtime_params=runtime)["parameters"]
    assert calls  # the second load did go through OmegaConf
    assert direct == through_omegaconf
    assert direct["seed"] == 7
    assert direct["exp"] == 0.001
    assert direct["word"] == "some text"
    assert direct["given"] == "from-cli"
    assert direct["model"]["copy"] == {"test_size": 0.2, "seed": 7}


@pytest.mark.parametrize(
    "value",
    [
        "${.relative}",  # relative reference
        "${globals:${key}}",  # nested
        "\\\\${globals:seed}",  # escaped
        "${globals:seed, 'quoted'}",  # quoted default
        "${runtime_params:x, [1, 2]}",  # bracketed default
        "${oc.select:seed, 1}",  # another resolver
        "${missing.key, 1}",  # not a plain reference
    ],
)
def test_other_interpolations_go_through_omegaconf(
    conf: Path, write: WriteConf, value: str
) -> None:
    from datamill.config import _resolvers

    write("base/globals.yml", "seed: 7\n")
    file = YamlFile(Path("p.yml"), {"key": "seed", "v": value}, {}, True)
    context = _resolvers._Context(file, {"seed": 7}, {}, False)
    assert _resolvers._resolve_direct(file.data, context) is _resolvers._UNSUPPORTED


def test_a_reference_cycle_or_a_missing_key_is_left_to_omegaconf_errors(
    conf: Path, write: WriteConf
) -> None:
    write("base/parameters.yml", "a: ${b}\nb: ${a}\n")
    with pytest.raises(ConfigError, match=r"parameters\.yml.*cannot resolve"):
        ConfigLoader(conf)["parameters"]
    write("base/parameters.yml", "a: ${nowhere}\n")
    with pytest.raises(ConfigError, match=r"parameters\.yml:1.*'a'"):
        ConfigLoader(conf)["parameters"]
