"""pandas file datasets: the file contract on local and memory roots, options, errors, docs."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pytest

import datamill.datasets.pandas as pandas_datasets
from datamill.datasets.pandas import (
    CSVDataset,
    ExcelDataset,
    FeatherDataset,
    JSONDataset,
    ParquetDataset,
)
from datamill.errors import DatasetError
from datamill.io._file import FileDataset
from datamill.testing import DatasetFactory, FileDatasetContract
from tests.resources.docs import yaml_example

FRAME_TYPES: list[type[FileDataset[Any, Any]]] = [
    CSVDataset,
    ParquetDataset,
    JSONDataset,
    ExcelDataset,
    FeatherDataset,
]


def simple_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["ada", "bob", "cy"], "score": [0.5, 1.5, 2.0]})


def other_frame() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Oslo", "Lima"], "population": [709_000, 10_000_000]})


def rich_frame() -> pd.DataFrame:
    """Types that only binary formats keep: dates, booleans, missing values, categories."""
    return pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01", "2024-02-29", "2024-12-31"]),
            "ok": [True, False, True],
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "kind": pd.Categorical(["a", "b", "a"]),
        }
    )


class FrameContract(FileDatasetContract):
    """The file contract for a pandas dataset type; subclasses set ``dataset_type``."""

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
        return simple_frame()

    @pytest.fixture
    def other_data(self) -> Any:
        return other_frame()

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert isinstance(loaded, pd.DataFrame)
        pd.testing.assert_frame_equal(loaded, expected)


class TestCSVDataset(FrameContract):
    dataset_type = CSVDataset
    filename = "table.csv"


class TestParquetDataset(FrameContract):
    dataset_type = ParquetDataset
    filename = "table.parquet"

    @pytest.fixture
    def sample_data(self) -> Any:
        return rich_frame()


class TestJSONDataset(FrameContract):
    dataset_type = JSONDataset
    filename = "table.json"


class TestExcelDataset(FrameContract):
    dataset_type = ExcelDataset
    filename = "table.xlsx"


class TestFeatherDataset(FrameContract):
    dataset_type = FeatherDataset
    filename = "table.feather"

    @pytest.fixture
    def sample_data(self) -> Any:
        return rich_frame()


class TestExcelWorkbook(FrameContract):
    """Several DataFrames saved as the sheets of one workbook and loaded back as a dict."""

    filename = "book.xlsx"

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: ExcelDataset(f"{root}/book.xlsx", load_args={"sheet_name": None})

    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: ExcelDataset(
            f"{root}/book.xlsx", load_args={"sheet_name": None}, versioned=True, **kw
        )

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"people": simple_frame(), "cities": other_frame()}

    @pytest.fixture
    def other_data(self) -> Any:
        return {"only": other_frame()}

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert isinstance(loaded, dict)
        assert list(loaded) == list(expected)  # sheets keep their order
        for name, frame in expected.items():
            pd.testing.assert_frame_equal(loaded[name], frame)


# -- load_args and save_args reach pandas ----------------------------------------------


def test_csv_separator_and_decimal_round_trip(root: str) -> None:
    options = {"sep": ";", "decimal": ","}
    dataset = CSVDataset(f"{root}/t.csv", load_args=options, save_args=options)
    dataset.save(simple_frame())

    pd.testing.assert_frame_equal(dataset.load(), simple_frame())
    with fsspec.open(f"{root}/t.csv", "rt") as stream:
        assert stream.read().splitlines()[:2] == ["id;name;score", "1;ada;0,5"]


def test_csv_leaves_out_the_index_unless_asked(tmp_path: Path) -> None:
    frame = simple_frame().set_index("id")
    CSVDataset(str(tmp_path / "plain.csv")).save(frame)
    CSVDataset(str(tmp_path / "indexed.csv"), save_args={"index": True}).save(frame)

    assert (tmp_path / "plain.csv").read_text().splitlines()[0] == "name,score"
    assert (tmp_path / "indexed.csv").read_text().splitlines()[0] == "id,name,score"


def test_csv_chunksize_is_refused_with_the_reason(tmp_path: Path) -> None:
    dataset = CSVDataset(str(tmp_path / "t.csv"), load_args={"chunksize": 2})
    dataset.save(simple_frame())

    with pytest.raises(DatasetError, match=r"pandas returned pandas.TextFileReader.*chunksize"):
        dataset.load()


def test_parquet_loads_only_the_selected_columns(root: str) -> None:
    ParquetDataset(f"{root}/t.parquet").save(simple_frame())
    dataset = ParquetDataset(f"{root}/t.parquet", load_args={"columns": ["name", "id"]})

    pd.testing.assert_frame_equal(dataset.load(), simple_frame()[["name", "id"]])


def test_parquet_save_args_reach_pandas(root: str) -> None:
    frame = simple_frame().set_index("id")
    ParquetDataset(f"{root}/kept.parquet").save(frame)
    ParquetDataset(f"{root}/dropped.parquet", save_args={"index": False}).save(frame)

    pd.testing.assert_frame_equal(ParquetDataset(f"{root}/kept.parquet").load(), frame)
    dropped = ParquetDataset(f"{root}/dropped.parquet").load()
    pd.testing.assert_frame_equal(dropped, frame.reset_index(drop=True))


def test_parquet_refuses_partition_columns() -> None:
    with pytest.raises(DatasetError, match=r"writes one file.*partition_cols"):
        ParquetDataset("t.parquet", save_args={"partition_cols": ["name"]})


def test_json_records_lines_round_trip_with_dates(root: str) -> None:
    frame = simple_frame().assign(
        created=pd.Series(["2024-01-01", "2024-01-02", None], dtype="datetime64[us]")
    )
    options: dict[str, Any] = {"orient": "records", "lines": True}
    load_args = {**options, "dtype": {"created": "datetime64[us]"}}
    dataset = JSONDataset(f"{root}/t.jsonl", load_args=load_args, save_args=options)
    dataset.save(frame)

    pd.testing.assert_frame_equal(dataset.load(), frame)
    with fsspec.open(f"{root}/t.jsonl", "rt") as stream:
        assert stream.readline() == (
            '{"id":1,"name":"ada","score":0.5,"created":"2024-01-01T00:00:00.000"}\n'
        )


def test_json_writes_iso_dates_by_default(tmp_path: Path) -> None:
    frame = pd.DataFrame({"created": pd.to_datetime(["2024-03-01"])})
    JSONDataset(str(tmp_path / "t.json"), save_args={"orient": "records"}).save(frame)

    assert (tmp_path / "t.json").read_text() == '[{"created":"2024-03-01T00:00:00.000"}]'


def test_excel_sheet_name_picks_one_sheet(root: str) -> None:
    ExcelDataset(f"{root}/b.xlsx").save({"first": simple_frame(), "second": other_frame()})

    by_name = ExcelDataset(f"{root}/b.xlsx", load_args={"sheet_name": "second"}).load()
    default = ExcelDataset(f"{root}/b.xlsx").load()
    assert isinstance(by_name, pd.DataFrame)
    assert isinstance(default, pd.DataFrame)
    pd.testing.assert_frame_equal(by_name, other_frame())
    pd.testing.assert_frame_equal(default, simple_frame())


def test_excel_sheet_positions_load_as_a_dict_keyed_by_position(tmp_path: Path) -> None:
    path = str(tmp_path / "b.xlsx")
    ExcelDataset(path).save({"first": simple_frame(), "second": other_frame()})

    loaded = ExcelDataset(path, load_args={"sheet_name": [1, "first"]}).load()

    assert isinstance(loaded, dict)
    assert list(loaded) == [1, "first"]
    pd.testing.assert_frame_equal(loaded[1], other_frame())


def test_excel_sheet_name_and_writer_options_reach_pandas(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-05-06"])})
    save_args = {"sheet_name": "days", "writer": {"engine_kwargs": {"iso_dates": True}}}
    ExcelDataset(str(path), save_args=save_args).save(frame)

    with zipfile.ZipFile(path) as archive:
        assert "days" in archive.read("xl/workbook.xml").decode()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>2024-05-06T00:00:00</v>" in sheet  # openpyxl's iso_dates, not a serial number


def test_feather_loads_only_the_selected_columns(root: str) -> None:
    FeatherDataset(f"{root}/t.feather").save(rich_frame())
    dataset = FeatherDataset(f"{root}/t.feather", load_args={"columns": ["ok"]})

    pd.testing.assert_frame_equal(dataset.load(), rich_frame()[["ok"]])


# -- wrong types -----------------------------------------------------------------------


@pytest.mark.parametrize("dataset_type", FRAME_TYPES)
def test_saving_something_else_than_a_frame_names_both_types(
    dataset_type: type[FileDataset[Any, Any]], tmp_path: Path
) -> None:
    dataset = dataset_type(str(tmp_path / "t.bin"))
    expected = rf"pandas\.{dataset_type.__name__} saves a pandas\.DataFrame.*got list"

    with pytest.raises(DatasetError, match=expected):
        dataset.save([{"a": 1}])
    assert not dataset.exists()


def test_a_polars_frame_is_named_as_such(tmp_path: Path) -> None:
    import polars as pl

    with pytest.raises(DatasetError, match=r"got polars\.DataFrame"):
        CSVDataset(str(tmp_path / "t.csv")).save(pl.DataFrame({"a": [1]}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, r"non-empty dict of sheet name to pandas\.DataFrame, got dict \(empty\)"),
        ({"a": [1, 2]}, r"got 'a': list"),
        ({1: simple_frame()}, r"sheet name \(str\) to pandas\.DataFrame, got 1: pandas"),
    ],
)
def test_excel_refuses_bad_workbooks(data: Any, message: str, tmp_path: Path) -> None:
    dataset = ExcelDataset(str(tmp_path / "b.xlsx"))

    with pytest.raises(DatasetError, match=message):
        dataset.save(data)
    assert not dataset.exists()


# -- the package and the documentation -------------------------------------------------


@pytest.mark.parametrize("dataset_type", FRAME_TYPES)
def test_docstring_yaml_builds_a_working_dataset(
    dataset_type: type[FileDataset[Any, Any]], tmp_path: Path
) -> None:
    entry = yaml_example(dataset_type)
    assert entry.pop("type") == f"pandas.{dataset_type.__name__}"
    entry.pop("credentials", None)  # a name resolved by the catalog, not an argument
    filepath = Path(entry.pop("filepath"))
    entry["load_args"] = {k: v for k, v in entry.get("load_args", {}).items() if k != "columns"}

    dataset = dataset_type(str(tmp_path / filepath.name), **entry)
    frame = simple_frame()
    dataset.save(frame)
    loaded = dataset.load()
    loaded = loaded if isinstance(loaded, pd.DataFrame) else loaded["Sheet1"]
    pd.testing.assert_frame_equal(loaded, frame)


@pytest.mark.parametrize("dataset_type", FRAME_TYPES)
def test_the_package_exports_each_type_lazily(dataset_type: type) -> None:
    assert getattr(pandas_datasets, dataset_type.__name__) is dataset_type
    assert dataset_type.__module__ == "datamill.datasets.pandas._files"
    assert issubclass(dataset_type, FileDataset)
