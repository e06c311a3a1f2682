"""polars datasets: the file contract on local and memory roots, lazy loads, options, docs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pytest
import yaml

from datamill.datasets.polars import (
    CSVDataset,
    LazyCSVDataset,
    LazyParquetDataset,
    ParquetDataset,
)
from datamill.errors import DatasetError
from datamill.io._file import FileDataset
from datamill.testing import DatasetFactory, FileDatasetContract
from tests.resources.docs import yaml_example

EAGER_TYPES: list[type[FileDataset[Any, Any]]] = [CSVDataset, ParquetDataset]
LAZY_TYPES: list[type[FileDataset[Any, Any]]] = [LazyCSVDataset, LazyParquetDataset]


def people() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], "name": ["ada", "bob", "cy"], "score": [0.5, 1.5, 2.0]})


def cities() -> pl.DataFrame:
    return pl.DataFrame({"city": ["Oslo", "Lima"], "population": [709_000, 10_000_000]})


def rich() -> pl.DataFrame:
    """Types only Parquet keeps: dates, booleans, nulls, lists."""
    return pl.DataFrame(
        {
            "day": [date(2024, 1, 1), date(2024, 2, 29), None],
            "ok": [True, None, False],
            "tags": [["a"], [], ["b", "c"]],
        }
    )


def collected(frame: object) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    assert isinstance(frame, pl.DataFrame)
    return frame


class PolarsContract(FileDatasetContract):
    """The file contract for a polars dataset type; subclasses set ``dataset_type``."""

    dataset_type: type[FileDataset[Any, Any]]
    filename: str

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: self.dataset_type(f"{root}/{self.filename}")

    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: self.dataset_type(f"{root}/{self.filename}", versioned=True, **kw)

    @pytest.fixture
    def sample_data(self) -> Any:
        return people()

    @pytest.fixture
    def other_data(self) -> Any:
        return cities()

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert isinstance(loaded, pl.DataFrame)
        assert loaded.equals(expected)


class LazyContract(PolarsContract):
    """Saves a LazyFrame (sink) first and a DataFrame second; loads are always lazy."""

    @pytest.fixture
    def sample_data(self) -> Any:
        return people().lazy()

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert isinstance(loaded, pl.LazyFrame)
        assert loaded.collect().equals(collected(expected))


class TestCSVDataset(PolarsContract):
    dataset_type = CSVDataset
    filename = "table.csv"


class TestParquetDataset(PolarsContract):
    dataset_type = ParquetDataset
    filename = "table.parquet"

    @pytest.fixture
    def sample_data(self) -> Any:
        return rich()


class TestLazyCSVDataset(LazyContract):
    dataset_type = LazyCSVDataset
    filename = "table.csv"


class TestLazyParquetDataset(LazyContract):
    dataset_type = LazyParquetDataset
    filename = "table.parquet"

    @pytest.fixture
    def sample_data(self) -> Any:
        return rich().lazy()


# -- load_args and save_args reach polars ----------------------------------------------


@pytest.mark.parametrize("dataset_type", [CSVDataset, LazyCSVDataset])
def test_csv_separator_round_trip(dataset_type: type[FileDataset[Any, Any]], root: str) -> None:
    options = {"separator": ";"}
    dataset = dataset_type(f"{root}/t.csv", load_args=options, save_args=options)
    dataset.save(people())

    assert collected(dataset.load()).equals(people())
    with fsspec.open(f"{root}/t.csv", "rt") as stream:
        assert stream.read().splitlines()[:2] == ["id;name;score", "1;ada;0.5"]


def test_lazy_csv_sinks_with_the_save_args(root: str) -> None:
    dataset = LazyCSVDataset(f"{root}/t.csv", save_args={"separator": "|"})
    dataset.save(people().lazy().filter(pl.col("id") > 1))

    with fsspec.open(f"{root}/t.csv", "rt") as stream:
        assert stream.read() == "id|name|score\n2|bob|1.5\n3|cy|2.0\n"


def test_parquet_loads_only_the_selected_columns(root: str) -> None:
    ParquetDataset(f"{root}/t.parquet").save(people())
    dataset = ParquetDataset(f"{root}/t.parquet", load_args={"columns": ["name", "id"]})

    assert dataset.load().equals(people().select("name", "id"))


@pytest.mark.parametrize("dataset_type", [ParquetDataset, LazyParquetDataset])
def test_parquet_n_rows_reaches_polars(
    dataset_type: type[FileDataset[Any, Any]], root: str
) -> None:
    dataset_type(f"{root}/t.parquet").save(people())

    loaded = dataset_type(f"{root}/t.parquet", load_args={"n_rows": 2}).load()
    assert collected(loaded).equals(people().head(2))


def test_lazy_parquet_queries_push_down_into_the_local_scan(tmp_path: Path) -> None:
    path = str(tmp_path / "t.parquet")
    LazyParquetDataset(path).save(people())

    query = LazyParquetDataset(path).load().filter(pl.col("score") > 1).select("name")
    plan = query.explain()
    assert "Parquet SCAN" in plan
    assert path in plan  # the real file is scanned, not a copy in memory
    assert query.collect()["name"].to_list() == ["bob", "cy"]


def test_a_local_lazy_frame_reads_the_file_when_collected(tmp_path: Path) -> None:
    """The trade-off the module documents: collect sees the content at collect time."""
    dataset = LazyCSVDataset(str(tmp_path / "t.csv"))
    dataset.save(people())
    lazy = dataset.load()
    dataset.save(people().head(1))

    assert lazy.collect().height == 1


def test_a_remote_lazy_frame_keeps_the_content_it_downloaded() -> None:
    dataset = LazyCSVDataset(f"memory://tests-{uuid.uuid4().hex}/t.csv")
    dataset.save(people())
    lazy = dataset.load()
    dataset.save(people().head(1))

    assert lazy.collect().equals(people())


def test_a_lazy_node_may_read_and_save_the_same_file(tmp_path: Path) -> None:
    dataset = LazyParquetDataset(str(tmp_path / "t.parquet"))
    dataset.save(people())

    dataset.save(dataset.load().filter(pl.col("id") != 2))

    assert dataset.load().collect()["id"].to_list() == [1, 3]


def test_a_pinned_lazy_version_is_scanned_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "t.parquet")
    LazyParquetDataset(path, versioned=True, save_version="v1").save(people())
    LazyParquetDataset(path, versioned=True, save_version="v2").save(cities())

    pinned = LazyParquetDataset(path, versioned=True, load_version="v1").load()
    assert pinned.collect().equals(people())
    assert str(Path(path) / "v1" / "t.parquet") in pinned.explain()


def test_lazy_sink_that_would_write_nothing_is_refused() -> None:
    with pytest.raises(DatasetError, match=r"LazyParquetDataset\('t.parquet'\).*lazy: true"):
        LazyParquetDataset("t.parquet", save_args={"lazy": True})


# -- wrong types and missing files -----------------------------------------------------


@pytest.mark.parametrize("dataset_type", EAGER_TYPES)
def test_eager_datasets_refuse_a_lazy_frame(
    dataset_type: type[FileDataset[Any, Any]], tmp_path: Path
) -> None:
    dataset = dataset_type(str(tmp_path / "t.bin"))
    expected = rf"polars\.{dataset_type.__name__} saves a polars\.DataFrame, got polars\.LazyFrame"

    with pytest.raises(DatasetError, match=expected):
        dataset.save(people().lazy())
    assert not dataset.exists()


@pytest.mark.parametrize("dataset_type", LAZY_TYPES)
def test_lazy_datasets_refuse_other_types(
    dataset_type: type[FileDataset[Any, Any]], tmp_path: Path
) -> None:
    import pandas as pd

    dataset = dataset_type(str(tmp_path / "t.bin"))
    expected = (
        rf"polars\.{dataset_type.__name__} saves a polars\.LazyFrame or polars\.DataFrame, "
        r"got pandas\.DataFrame"
    )
    with pytest.raises(DatasetError, match=expected):
        dataset.save(pd.DataFrame({"a": [1]}))
    assert not dataset.exists()


@pytest.mark.parametrize("dataset_type", LAZY_TYPES)
def test_a_missing_file_fails_the_lazy_load_itself(
    dataset_type: type[FileDataset[Any, Any]], root: str
) -> None:
    with pytest.raises(DatasetError, match=r"has no file at .*absent\.bin"):
        dataset_type(f"{root}/absent.bin").load()


# -- documentation ---------------------------------------------------------------------


@pytest.mark.parametrize("dataset_type", EAGER_TYPES + LAZY_TYPES)
def test_docstring_yaml_builds_a_working_dataset(
    dataset_type: type[FileDataset[Any, Any]], tmp_path: Path
) -> None:
    entry = yaml_example(dataset_type)
    assert entry.pop("type") == f"polars.{dataset_type.__name__}"
    entry.pop("credentials", None)  # a name resolved by the catalog, not an argument
    filepath = Path(entry.pop("filepath"))
    entry["load_args"] = {k: v for k, v in entry.get("load_args", {}).items() if k != "columns"}

    dataset = dataset_type(str(tmp_path / filepath.name), **entry)
    dataset.save(people())
    assert collected(dataset.load()).equals(people())


def test_every_yaml_entry_in_the_user_guide_builds_a_dataset(tmp_path: Path) -> None:
    import datamill.datasets.pandas._files as pandas_files
    import datamill.datasets.polars as polars_datasets

    modules = {"pandas": pandas_files, "polars": polars_datasets}
    guide = Path(__file__).parents[2] / "docs" / "datasets" / "pandas-polars.md"
    blocks = re.findall(r"```yaml\n(.*?)```", guide.read_text(encoding="utf-8"), re.DOTALL)
    entries = [entry for block in blocks for entry in yaml.safe_load(block).values()]

    documented = sorted(entry["type"] for entry in entries)
    assert documented == sorted(
        [f"pandas.{name}" for name in pandas_files.__all__]
        + [f"polars.{name}" for name in polars_datasets.__all__]
    )
    for entry in entries:
        library, _, name = entry.pop("type").partition(".")
        entry.pop("credentials", None)
        filepath = Path(entry.pop("filepath"))
        dataset = getattr(modules[library], name)(str(tmp_path / filepath.name), **entry)
        assert isinstance(dataset, FileDataset)
