"""Configuration workload, framework-neutral, and the driver both config scripts share.

The workload is a ``conf/`` folder as a large project has it: ``N / 100`` parameter files of
100 parameters each (20,000 parameters in 200 files by default), four in five in
``conf/base/parameters/`` and one in five in ``conf/local/parameters/``, plus a
``globals.yml`` in each environment (``local`` overrides the seed). Each file holds four
top-level groups of 25 leaves, nested up to three levels below the group
(``model_000.optimizer.options.beta1``; a list counts as one leaf). Every other file uses
interpolations: ``${globals:seed}``, ``${globals:paths.raw}/...`` inside a string, and a
reference to a key of the same group.

Every ``local`` file overrides two ``base`` groups and adds two groups of its own. An
override repeats its whole group with some values changed, because Kedro's default merge
strategy for parameters is *destructive* (a top-level key of ``local`` replaces ``base``'s
whole value) while datamill merges key by key: with complete groups both rules give the same
result, so both frameworks load the same parameters from the same files.

This module computes that merged, resolved dictionary itself while writing the files, so
each framework's result is checked against it (and ``run.py`` compares the two frameworks'
digests). It imports neither framework (the Kedro side runs it in another virtualenv), and
writes the YAML itself so it needs no YAML library.

A case (``workload`` ``config``, ``n`` parameters, phase ``load``) writes the folder to a
temporary directory, loads it once untimed (imports, resolver registration, the operating
system's file cache), then times ``case.repeats`` loads, each with a fresh loader object, so
nothing is cached from one repeat to the next.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from _harness import Case, Result, time_repeats
from _harness import main as harness_main

__all__ = [
    "CONFIG_PARAMETERS",
    "GLOBALS",
    "PARAMETERS_PER_FILE",
    "QUICK_CONFIG_PARAMETERS",
    "ConfigAdapter",
    "ConfigFile",
    "ConfigTree",
    "config_tree",
    "count_leaves",
    "digest",
    "first_difference",
    "main",
    "measure",
    "plan",
    "to_yaml",
    "write_tree",
]

CONFIG_PARAMETERS = 20_000
QUICK_CONFIG_PARAMETERS = 4_000
GROUPS_PER_FILE = 4
LEAVES_PER_GROUP = 25
PARAMETERS_PER_FILE = GROUPS_PER_FILE * LEAVES_PER_GROUP
LOCAL_SHARE = 5
"""One parameter file in this many lives in ``conf/local``."""
GROUP_KINDS = ("model", "scoring", "cleaning", "reporting")
"""Top-level group ``k`` of file ``i`` is ``{GROUP_KINDS[k]}_{i:03d}``."""
FEATURES = 5

GLOBALS: Mapping[str, Mapping[str, Any]] = {
    "base": {
        "seed": 20240601,
        "n_jobs": 2,
        "paths": {"raw": "data/01_raw", "models": "data/06_models"},
    },
    "local": {"seed": 7},
}
"""The ``globals.yml`` of each environment; ``local`` replaces the top-level ``seed``."""


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """One configuration file: its environment, path within it, and text."""

    env: str
    relative: str
    text: str


@dataclass(frozen=True, slots=True)
class ConfigTree:
    """The files of a ``conf/`` folder and what loading its parameters must give.

    Attributes:
        files: Every file, globals included.
        parameters: Leaves written across the parameter files.
        expected: The merged, resolved parameters of environment ``local`` over ``base``.
    """

    files: tuple[ConfigFile, ...]
    parameters: int
    expected: dict[str, Any]

    @property
    def parameter_files(self) -> int:
        """How many parameter files the tree holds."""
        return sum(f.relative.startswith("parameters/") for f in self.files)


# -- building the tree -----------------------------------------------------------------------


def config_tree(parameters: int) -> ConfigTree:
    """The configuration holding ``parameters`` parameters (a multiple of 100).

    Raises:
        ValueError: ``parameters`` is not a positive multiple of :data:`PARAMETERS_PER_FILE`.
    """
    if parameters <= 0 or parameters % PARAMETERS_PER_FILE:
        raise ValueError(f"parameters must be a positive multiple of {PARAMETERS_PER_FILE}.")
    count = parameters // PARAMETERS_PER_FILE
    local = count // LOCAL_SHARE
    merged_globals = {**GLOBALS["base"], **GLOBALS["local"]}
    files = [ConfigFile(env, "globals.yml", to_yaml(values)) for env, values in GLOBALS.items()]
    expected: dict[str, Any] = {}
    for index in range(count):
        env = "local" if index >= count - local else "base"
        groups = _file_groups(index, count - local, merged_globals)
        raw = {name: pair[0] for name, pair in groups.items()}
        files.append(ConfigFile(env, f"parameters/parameters_{index:03d}.yml", to_yaml(raw)))
        expected.update({name: pair[1] for name, pair in groups.items()})
    return ConfigTree(tuple(files), count * PARAMETERS_PER_FILE, expected)


def _file_groups(
    index: int, base_files: int, globals_: Mapping[str, Any]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The groups of parameter file ``index``, each as (written, resolved)."""
    interpolated = index % 2 == 0
    if index < base_files:
        names = [f"{kind}_{index:03d}" for kind in GROUP_KINDS]
        return {name: _group(name, index, 0, interpolated, globals_) for name in names}
    # A local file overrides group 0 and group 1 of two base files, and adds two groups.
    j = index - base_files
    overridden = [f"{GROUP_KINDS[0]}_{2 * j:03d}", f"{GROUP_KINDS[1]}_{2 * j + 1:03d}"]
    added = [f"{kind}_{index:03d}" for kind in GROUP_KINDS[2:]]
    names = overridden + added
    return {name: _group(name, index, 1, interpolated, globals_) for name in names}


def _group(
    name: str, number: int, variant: int, interpolated: bool, globals_: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One group of 25 leaves as written and as resolved; ``variant`` 1 changes values."""
    resolved = _group_values(name, number, variant)
    written = json.loads(json.dumps(resolved))
    if interpolated:
        written["seed"] = "${globals:seed}"
        resolved["seed"] = globals_["seed"]
        written["data_path"] = f"${{globals:paths.raw}}/{name}.csv"
        resolved["data_path"] = f"{globals_['paths']['raw']}/{name}.csv"
        written["split"]["validation_size"] = f"${{{name}.split.test_size}}"
        resolved["split"]["validation_size"] = resolved["split"]["test_size"]
    return written, resolved


def _group_values(name: str, number: int, variant: int) -> dict[str, Any]:
    step = number % 50 + 1
    return {
        "name": name,
        "description": f"Settings of {name}, revision {variant}",
        "enabled": variant == 0,
        "seed": 1000 + number,
        "learning_rate": round(0.001 * step * (1 + variant), 6),
        "layers": [64, 32, step + variant],
        "data_path": f"data/01_raw/{name}.csv",
        "split": {
            "test_size": round(0.1 + 0.002 * step, 6),
            "validation_size": 0.1,
            "shuffle": True,
        },
        "optimizer": {
            "name": "adam" if variant == 0 else "sgd",
            "options": {
                "beta1": 0.9,
                "beta2": 0.999,
                "epsilon": 0.001,
                "weight_decay": round(0.01 * (1 + variant), 6),
            },
        },
        "features": {
            f"f{k}": {"weight": round(0.5 + 0.1 * k + variant, 6), "scale": k + step}
            for k in range(FEATURES)
        },
    }


def to_yaml(data: Mapping[str, Any]) -> str:
    """YAML block text for nested mappings of strings, numbers, booleans and flat lists.

    Strings are written as JSON strings, which YAML reads as double-quoted scalars.
    """
    return "\n".join(_yaml_lines(data, 0)) + "\n"


def _yaml_lines(data: Mapping[str, Any], depth: int) -> Iterator[str]:
    pad = "  " * depth
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield f"{pad}{key}:"
            yield from _yaml_lines(value, depth + 1)
        else:
            yield f"{pad}{key}: {_scalar(value)}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    raise TypeError(f"Cannot write {type(value).__name__} values.")


def write_tree(tree: ConfigTree, root: Path) -> Path:
    """Write ``tree`` under ``root/conf``; return that ``conf`` folder."""
    conf = root / "conf"
    for file in tree.files:
        path = conf / file.env / file.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.text, encoding="utf-8")
    return conf


# -- comparing results -----------------------------------------------------------------------


def count_leaves(data: Any) -> int:
    """Values that are not mappings, nested ones included (a list counts as one)."""
    if isinstance(data, Mapping):
        return sum(count_leaves(value) for value in data.values())
    return 1


def digest(data: Any) -> int:
    """A hash of ``data`` that ignores key order (the first 60 bits of a SHA-256)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:15], 16)


def first_difference(got: Any, expected: Any, path: str = "") -> str:
    """The first dotted key where ``got`` and ``expected`` differ (``""`` if equal)."""
    if isinstance(got, Mapping) and isinstance(expected, Mapping):
        for key in sorted(got.keys() | expected.keys(), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in got or key not in expected:
                return f"{where} ({'missing' if key not in got else 'unexpected'})"
            found = first_difference(got[key], expected[key], where)
            if found:
                return found
        return ""
    if got == expected and type(got) is type(expected):
        return ""
    return f"{path or '<root>'}: {got!r}, expected {expected!r}"


# -- measuring (in the case's own process) ---------------------------------------------------


class ConfigAdapter(Protocol):
    """What the configuration benchmark needs from a framework."""

    name: str
    version: str

    def load_parameters(self, conf: Path) -> dict[str, Any]:
        """A fresh loader on ``conf`` (``local`` over ``base``); its merged parameters."""


def measure(adapter: ConfigAdapter, case: Case) -> Result:
    """Time ``case.repeats`` loads of a freshly written ``conf/``; check what was loaded."""
    if case.workload != "config" or case.phase != "load":
        raise ValueError(f"Unknown configuration case {case.label!r}.")
    tree = config_tree(case.n)
    result = Result(adapter.name, adapter.version, case)
    with tempfile.TemporaryDirectory(prefix="bench-config-") as folder:
        conf = write_tree(tree, Path(folder))
        adapter.load_parameters(conf)
        result.times_s, loaded = time_repeats(lambda: conf, adapter.load_parameters, case)
    assert isinstance(loaded, dict)
    result.sizes = {
        "files": tree.parameter_files,
        "parameters_in_files": tree.parameters,
        "merged_leaves": count_leaves(loaded),
        "digest": digest(loaded),
    }
    difference = first_difference(loaded, tree.expected)
    if difference:
        result.status = "error"
        result.detail = f"loaded parameters differ from the expected ones at {difference}"
    return result


# -- plan and command line -------------------------------------------------------------------


def plan(quick: bool) -> list[Case]:
    """One case: load the parameters, 7 repeats (``--quick``: a fifth of the size, 3 repeats)."""
    case = Case("config", CONFIG_PARAMETERS, "load", repeats=7, budget_s=60.0)
    return [replace(case, n=QUICK_CONFIG_PARAMETERS, repeats=3)] if quick else [case]


def main(
    adapter_factory: Callable[[], ConfigAdapter],
    framework: tuple[str, str],
    argv: Sequence[str] | None = None,
) -> int:
    """Entry point of a config benchmark script: measure one ``--case``, or drive the plan.

    Args:
        adapter_factory: Builds the framework adapter (imports the framework).
        framework: The framework's name and version, for results of failed cases.
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    return harness_main(
        adapter_factory,
        plan,
        framework,
        argv,
        measure_case=measure,
        description="Run one framework's configuration-loading case; print JSON lines.",
    )
