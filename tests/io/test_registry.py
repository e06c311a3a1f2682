"""Tests for the dataset type registry: short names, dotted paths, entry points, install hints."""

from __future__ import annotations

import importlib
import pickle
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from datamill.errors import DatasetError
from datamill.io import (
    BUILTIN_TYPES,
    AbstractDataset,
    BuiltinType,
    DataCatalog,
    MemoryDataset,
    TypeRegistry,
    default_registry,
    resolve_type,
)


class LocalDataset(MemoryDataset):
    """A dataset type defined in this test module, reachable by its dotted path."""


class NotADataset:
    """A class that is not a dataset."""


def not_a_class() -> None:
    """A function, not a class."""


WriteModule = Callable[[str, str], None]


@pytest.fixture
def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteModule]:
    """Writes importable modules to a temporary folder; forgets them after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written: list[str] = []

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(name)
        importlib.invalidate_caches()

    yield write
    for name in written:
        sys.modules.pop(name, None)


DATASET_SOURCE = """
    from datamill.io import MemoryDataset

    class {name}(MemoryDataset):
        pass
"""


def registry_of(**targets: str | tuple[str, str]) -> TypeRegistry:
    """A registry whose built-ins are ``short name -> target`` (or ``(target, extra)``)."""
    table = {}
    for name, target in targets.items():
        short = name.replace("__", ".")
        if isinstance(target, tuple):
            table[short] = BuiltinType(target[0], target[1])
        else:
            table[short] = BuiltinType(target)
    return TypeRegistry(table)


def resolve_error(registry: TypeRegistry, type_name: str, dataset: str = "cars") -> DatasetError:
    with pytest.raises(DatasetError) as exc:
        registry.resolve(type_name, dataset)
    assert exc.value.dataset_name == dataset
    assert f"Dataset {dataset!r}" in str(exc.value)
    return exc.value


# -- the built-in table --------------------------------------------------------------------


EXPECTED_EXTRAS = {
    "MemoryDataset": None,
    "text.TextDataset": None,
    "json.JSONDataset": None,
    "yaml.YAMLDataset": None,
    "pickle.PickleDataset": None,
    "partitions.PartitionedDataset": None,
    "partitions.IncrementalDataset": None,
    "pandas.CSVDataset": "pandas",
    "pandas.ParquetDataset": "pandas",
    "pandas.JSONDataset": "pandas",
    "pandas.ExcelDataset": "pandas",
    "pandas.FeatherDataset": "pandas",
    "pandas.SQLTableDataset": "sql",
    "pandas.SQLQueryDataset": "sql",
    "polars.CSVDataset": "polars",
    "polars.ParquetDataset": "polars",
    "polars.LazyCSVDataset": "polars",
    "polars.LazyParquetDataset": "polars",
    "matplotlib.FigureDataset": "plots",
    "plotly.FigureDataset": "plots",
    "pillow.ImageDataset": "images",
}


def test_the_builtin_table_names_every_planned_type_with_its_extra() -> None:
    assert {name: t.extra for name, t in BUILTIN_TYPES.items()} == EXPECTED_EXTRAS


@pytest.mark.parametrize("name", sorted(EXPECTED_EXTRAS))
def test_a_builtin_short_name_points_to_its_class_in_datamill(name: str) -> None:
    module, _, cls = BUILTIN_TYPES[name].target.partition(":")

    assert cls == name.rpartition(".")[2]
    if name == "MemoryDataset":
        assert module == "datamill.io"
    else:
        assert module == f"datamill.datasets.{name.partition('.')[0]}"


def test_the_builtin_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        BUILTIN_TYPES["x.Y"] = BuiltinType("a:b")  # type: ignore[index]


def test_a_registry_keeps_its_own_copy_of_the_builtins() -> None:
    table = {"x.Local": BuiltinType(f"{__name__}:LocalDataset")}
    registry = TypeRegistry(table)
    table.clear()

    assert registry.resolve("x.Local", "cars") is LocalDataset


# -- resolving -----------------------------------------------------------------------------


def test_a_builtin_short_name_resolves_to_its_class() -> None:
    assert TypeRegistry().resolve("MemoryDataset", "cars") is MemoryDataset


def test_a_full_dotted_path_resolves_to_its_class() -> None:
    registry = TypeRegistry()

    assert registry.resolve("datamill.io.MemoryDataset", "cars") is MemoryDataset
    assert registry.resolve(f"{__name__}.LocalDataset", "cars") is LocalDataset


def test_resolve_type_uses_the_default_registry_or_the_one_given() -> None:
    registry = registry_of(x__Local=f"{__name__}:LocalDataset")

    assert resolve_type("MemoryDataset", "cars") is MemoryDataset
    assert resolve_type("x.Local", "cars", registry) is LocalDataset
    assert default_registry.resolve("MemoryDataset", "cars") is MemoryDataset


def test_nothing_is_imported_until_a_type_is_resolved(write_module: WriteModule) -> None:
    write_module("dm_lazy_types", DATASET_SOURCE.format(name="Lazy"))
    registry = registry_of(lazy__Lazy="dm_lazy_types:Lazy")

    assert "lazy.Lazy" in registry.known_names()
    assert "dm_lazy_types" not in sys.modules
    assert registry.resolve("lazy.Lazy", "cars").__name__ == "Lazy"
    assert "dm_lazy_types" in sys.modules


def test_resolved_classes_are_kept_until_clear(write_module: WriteModule) -> None:
    write_module("dm_cached_types", DATASET_SOURCE.format(name="Cached"))
    registry = registry_of(c__Cached="dm_cached_types:Cached")
    first = registry.resolve("c.Cached", "cars")
    sys.modules.pop("dm_cached_types")

    assert registry.resolve("c.Cached", "cars") is first
    registry.clear()
    again = registry.resolve("c.Cached", "cars")
    assert again is not first
    assert again.__name__ == "Cached"


def test_the_default_registry_unpickles_as_itself() -> None:
    assert pickle.loads(pickle.dumps(default_registry)) is default_registry


def test_a_registry_pickles_with_its_builtins() -> None:
    registry = registry_of(x__Local=f"{__name__}:LocalDataset")
    restored = pickle.loads(pickle.dumps(registry))

    assert restored.resolve("x.Local", "cars") is LocalDataset
    assert restored.known_names() == registry.known_names()


# -- install hints -------------------------------------------------------------------------


def test_a_missing_library_gives_the_pip_command_for_the_extra(write_module: WriteModule) -> None:
    write_module("dm_needs_lib", "import dm_library_nobody_installed\n")
    registry = registry_of(lib__Table=("dm_needs_lib:Table", "pandas"))

    error = resolve_error(registry, "lib.Table")
    assert str(error) == (
        "Dataset 'cars': type 'lib.Table' needs the library 'dm_library_nobody_installed' "
        "(imported by 'dm_needs_lib'), which is not installed. "
        'Install it with: pip install "datamill[pandas]"'
    )
    assert isinstance(error.__cause__, ModuleNotFoundError)


def test_a_missing_library_without_extra_says_to_install_it(write_module: WriteModule) -> None:
    write_module("dm_needs_lib2", "import dm_library_nobody_installed\n")
    registry = registry_of(lib__Table="dm_needs_lib2:Table")

    error = resolve_error(registry, "lib.Table")
    assert "Install the package that provides 'dm_library_nobody_installed'" in str(error)
    assert "datamill[" not in str(error)


def test_a_type_whose_datamill_module_is_absent_asks_for_another_version() -> None:
    registry = registry_of(future__Thing=("datamill.datasets.dm_not_yet:Thing", "plots"))

    error = resolve_error(registry, "future.Thing")
    assert "lives in module 'datamill.datasets.dm_not_yet'" in str(error)
    assert "this version of datamill does not have" in str(error)


def test_a_dotted_path_whose_module_needs_a_missing_library_names_it(
    write_module: WriteModule,
) -> None:
    write_module("dm_user_types", "import dm_library_nobody_installed\n")

    error = resolve_error(TypeRegistry(), "dm_user_types.Table")
    assert "needs the library 'dm_library_nobody_installed'" in str(error)


def test_a_module_failing_to_import_is_reported_with_its_error(write_module: WriteModule) -> None:
    write_module("dm_broken_types", "raise RuntimeError('half-written module')\n")

    error = resolve_error(TypeRegistry(), "dm_broken_types.Table")
    assert str(error) == (
        "Dataset 'cars': importing module 'dm_broken_types' for type 'dm_broken_types.Table' "
        "failed: RuntimeError: half-written module"
    )


# -- unknown types and wrong classes --------------------------------------------------------


def test_an_unknown_short_name_suggests_the_closest_known_ones() -> None:
    error = resolve_error(TypeRegistry(), "pandas.CSVDatset")

    assert str(error).startswith(
        "Dataset 'cars': unknown dataset type 'pandas.CSVDatset'. Did you mean 'pandas.CSVDataset'"
    )


def test_an_unknown_name_without_a_dot_suggests_the_closest() -> None:
    error = resolve_error(TypeRegistry(), "MemoryDatset")

    assert "Did you mean 'MemoryDataset'?" in str(error)


def test_a_name_in_a_builtin_namespace_is_never_imported_as_a_path() -> None:
    # 'json' is importable, but 'json.dumps' is a misspelt short name, not a path to import.
    error = resolve_error(TypeRegistry(), "json.dumps")

    assert "unknown dataset type 'json.dumps'" in str(error)


def test_a_dotted_path_to_no_module_is_an_unknown_type() -> None:
    error = resolve_error(TypeRegistry(), "dm_no_such_package.things.Table")

    assert "unknown dataset type 'dm_no_such_package.things.Table'" in str(error)


def test_a_dotted_path_to_a_missing_class_suggests_the_module_datasets() -> None:
    error = resolve_error(TypeRegistry(), f"{__name__}.LocalDatset")

    assert f"module {__name__!r} has no dataset type 'LocalDatset'" in str(error)
    assert "Did you mean 'LocalDataset'" in str(error)


def test_a_builtin_pointing_to_a_missing_attribute_is_reported() -> None:
    registry = registry_of(x__Gone=f"{__name__}:GoneDataset")

    error = resolve_error(registry, "x.Gone")
    assert f"should be 'GoneDataset' in module {__name__!r}, which has no such name" in str(error)


def test_a_class_that_is_not_a_dataset_is_refused() -> None:
    error = resolve_error(TypeRegistry(), f"{__name__}.NotADataset")

    assert str(error) == (
        f"Dataset 'cars': type '{__name__}.NotADataset' is the class NotADataset, not a dataset "
        "class; a dataset type must be a subclass of datamill.io.AbstractDataset."
    )


def test_something_that_is_not_a_class_is_refused() -> None:
    error = resolve_error(TypeRegistry(), f"{__name__}.not_a_class")

    assert "is a function, not a dataset class" in str(error)


def test_the_abstract_base_is_a_dataset_class_but_cannot_be_created() -> None:
    registry = TypeRegistry()
    assert registry.resolve("datamill.io.AbstractDataset", "cars") is AbstractDataset

    catalog = DataCatalog.from_config({"cars": {"type": "datamill.io.AbstractDataset"}})
    with pytest.raises(DatasetError, match=r"creating a 'datamill\.io\.AbstractDataset'") as exc:
        catalog["cars"]
    assert exc.value.dataset_name == "cars"


# -- entry points --------------------------------------------------------------------------


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_module: WriteModule
) -> Callable[[str, dict[str, str]], None]:
    """Installs a distribution (a dist-info folder) registering dataset entry points."""

    def install(dist: str, entry_points: dict[str, str]) -> None:
        info = tmp_path / f"{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[datamill.datasets]\n{lines}")
        importlib.invalidate_caches()

    return install


def test_a_type_registered_by_entry_point_resolves(
    write_module: WriteModule, install_plugin: Callable[[str, dict[str, str]], None]
) -> None:
    write_module("dm_acme_datasets", DATASET_SOURCE.format(name="DeltaDataset"))
    install_plugin("dm_acme", {"acme.DeltaDataset": "dm_acme_datasets:DeltaDataset"})
    registry = TypeRegistry()

    assert "acme.DeltaDataset" in registry.known_names()
    assert "dm_acme_datasets" not in sys.modules
    assert registry.resolve("acme.DeltaDataset", "cars").__name__ == "DeltaDataset"


def test_entry_points_are_read_once_until_clear(
    write_module: WriteModule, install_plugin: Callable[[str, dict[str, str]], None]
) -> None:
    write_module("dm_late_datasets", DATASET_SOURCE.format(name="LateDataset"))
    registry = TypeRegistry()
    assert "late.LateDataset" not in registry.known_names()
    install_plugin("dm_late", {"late.LateDataset": "dm_late_datasets:LateDataset"})

    assert "late.LateDataset" not in registry.known_names()
    registry.clear()
    assert registry.resolve("late.LateDataset", "cars").__name__ == "LateDataset"


def test_an_unknown_type_suggests_registered_names(
    install_plugin: Callable[[str, dict[str, str]], None],
) -> None:
    install_plugin("dm_geo", {"geo.ShapeDataset": "dm_geo_datasets:ShapeDataset"})

    error = resolve_error(TypeRegistry(), "geo.ShapDataset")
    assert "Did you mean 'geo.ShapeDataset'" in str(error)


def test_an_entry_point_to_a_missing_module_says_what_to_install(
    install_plugin: Callable[[str, dict[str, str]], None],
) -> None:
    install_plugin("dm_ghost", {"ghost.Dataset": "dm_ghost_not_installed:Dataset"})

    error = resolve_error(TypeRegistry(), "ghost.Dataset")
    assert "needs the library 'dm_ghost_not_installed'" in str(error)
    assert "Install the package that provides" in str(error)


def test_a_builtin_short_name_wins_over_an_entry_point_of_the_same_name(
    write_module: WriteModule, install_plugin: Callable[[str, dict[str, str]], None]
) -> None:
    write_module("dm_shadow", DATASET_SOURCE.format(name="MemoryDataset"))
    install_plugin("dm_shadow_dist", {"MemoryDataset": "dm_shadow:MemoryDataset"})

    assert TypeRegistry().resolve("MemoryDataset", "cars") is MemoryDataset


def test_an_entry_point_to_a_non_dataset_is_refused(
    install_plugin: Callable[[str, dict[str, str]], None],
) -> None:
    install_plugin("dm_wrong", {"wrong.Thing": f"{__name__}:NotADataset"})

    error = resolve_error(TypeRegistry(), "wrong.Thing")
    assert "not a dataset class" in str(error)


def test_the_catalog_resolves_types_through_the_registry_it_is_given() -> None:
    registry = registry_of(local__Dataset=f"{__name__}:LocalDataset")
    config: dict[str, Any] = {"cars": {"type": "local.Dataset"}}

    assert isinstance(DataCatalog.from_config(config, type_registry=registry)["cars"], LocalDataset)
    with pytest.raises(DatasetError, match=r"unknown dataset type 'local\.Dataset'"):
        DataCatalog.from_config(config)["cars"]
