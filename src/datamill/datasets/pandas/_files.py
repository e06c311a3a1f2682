"""pandas DataFrames in files: CSV, Parquet, JSON, Excel and Feather.

Each class reads from and writes to the binary stream that
:class:`~datamill.io._file.FileDataset` opens, so every one of them works on any fsspec URL,
writes atomically and can be versioned. ``load_args`` and ``save_args`` go to the pandas
function each class names, on top of a few defaults it documents: an argument given in the
catalog replaces the default of the same name.

This module imports pandas; :mod:`datamill.datasets.pandas` imports it only when one of its
classes is first used.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any, ClassVar, TypeAlias, TypeVar

import pandas as pd

from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["CSVDataset", "ExcelDataset", "FeatherDataset", "JSONDataset", "ParquetDataset"]

LoadT = TypeVar("LoadT")
SaveT = TypeVar("SaveT")

ExcelLoad: TypeAlias = pd.DataFrame | dict[int | str, pd.DataFrame]
"""What an Excel load gives: one sheet, or sheets by name or position (``sheet_name``)."""

ExcelSave: TypeAlias = pd.DataFrame | Mapping[str, pd.DataFrame]
"""What an Excel save takes: one sheet, or sheets by name."""


def _type_name(value: object) -> str:
    """``list``, ``pandas.DataFrame``, ``polars.DataFrame``: short but unambiguous."""
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


class _FrameFile(FileDataset[LoadT, SaveT]):
    """What the pandas file datasets share: default arguments and type checks."""

    _load_defaults: ClassVar[Mapping[str, Any]] = {}
    _save_defaults: ClassVar[Mapping[str, Any]] = {}

    def _load_options(self) -> dict[str, Any]:
        return {**self._load_defaults, **self._load_args}

    def _save_options(self) -> dict[str, Any]:
        return {**self._save_defaults, **self._save_args}

    def _type_label(self) -> str:
        return f"pandas.{type(self).__name__}"

    def _require_frame(self, data: object) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"{self._type_label()} saves a pandas.DataFrame, got {_type_name(data)}; "
                "return a DataFrame from the node or pick a dataset type for this data."
            )
        return data

    def _loaded_frame(self, result: object) -> pd.DataFrame:
        if not isinstance(result, pd.DataFrame):
            raise DatasetError(
                f"{self!r} loads one pandas.DataFrame, but pandas returned {_type_name(result)}; "
                "remove the load_args that change what pandas returns (such as chunksize or "
                "iterator)."
            )
        return result


class CSVDataset(_FrameFile[pd.DataFrame, pd.DataFrame]):
    """A pandas DataFrame in a CSV file.

    ``load_args`` go to :func:`pandas.read_csv`, ``save_args`` to
    :meth:`pandas.DataFrame.to_csv` (default ``index=False``: the row labels are not written,
    since a plain read would turn them into an extra column).

    Example YAML::

        companies:
          type: pandas.CSVDataset
          filepath: data/01_raw/companies.csv
          load_args: {sep: ";", decimal: ","}
          save_args: {sep: ";", decimal: ","}
    """

    _save_defaults: ClassVar[Mapping[str, Any]] = {"index": False}

    def _read(self, stream: IO[bytes]) -> pd.DataFrame:
        return self._loaded_frame(pd.read_csv(stream, **self._load_options()))

    def _write(self, data: pd.DataFrame, stream: IO[bytes]) -> None:
        self._require_frame(data).to_csv(stream, **self._save_options())


class ParquetDataset(_FrameFile[pd.DataFrame, pd.DataFrame]):
    """A pandas DataFrame in a Parquet file, through pyarrow.

    ``load_args`` go to :func:`pandas.read_parquet` (``columns`` reads only some columns,
    ``filters`` only some row groups), ``save_args`` to :meth:`pandas.DataFrame.to_parquet`
    (``compression``, ``index``, ...). Both default to ``engine="pyarrow"``. The dataset is one
    file, so ``partition_cols`` is refused: keep one file per partition with a partitioned
    dataset instead.

    Example YAML::

        model_input:
          type: pandas.ParquetDataset
          filepath: s3://bucket/03_primary/model_input.parquet
          credentials: s3_creds
          load_args: {columns: [id, price, area]}
          save_args: {compression: zstd}
          versioned: true
    """

    _load_defaults: ClassVar[Mapping[str, Any]] = {"engine": "pyarrow"}
    _save_defaults: ClassVar[Mapping[str, Any]] = {"engine": "pyarrow"}

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        """See the class docstring and :class:`~datamill.io._file.FileDataset`.

        Raises:
            DatasetError: ``save_args`` has ``partition_cols``.
        """
        super().__init__(filepath, **kwargs)
        if self._save_args.get("partition_cols"):
            raise DatasetError(
                f"pandas.ParquetDataset({filepath!r}) writes one file, but save_args has "
                "partition_cols, which writes a folder of files. Remove it, or keep one "
                "Parquet file per partition with partitions.PartitionedDataset."
            )

    def _read(self, stream: IO[bytes]) -> pd.DataFrame:
        return self._loaded_frame(pd.read_parquet(stream, **self._load_options()))

    def _write(self, data: pd.DataFrame, stream: IO[bytes]) -> None:
        self._require_frame(data).to_parquet(stream, **self._save_options())


class JSONDataset(_FrameFile[pd.DataFrame, pd.DataFrame]):
    """A pandas DataFrame in a JSON file (for any JSON document, use ``json.JSONDataset``).

    ``load_args`` go to :func:`pandas.read_json`, ``save_args`` to
    :meth:`pandas.DataFrame.to_json` (default ``date_format="iso"``: dates are written as
    ISO 8601 strings). Give the same ``orient`` (and ``lines``) to both. Dates load back as
    strings unless their column has a date-like name (``*_at``, ``*_time``, ``date``, ...) or
    a datetime ``dtype`` in ``load_args``.

    Example YAML::

        events:
          type: pandas.JSONDataset
          filepath: data/02_intermediate/events.jsonl
          load_args: {orient: records, lines: true, dtype: {created: "datetime64[us]"}}
          save_args: {orient: records, lines: true}
    """

    _save_defaults: ClassVar[Mapping[str, Any]] = {"date_format": "iso"}

    def _read(self, stream: IO[bytes]) -> pd.DataFrame:
        return self._loaded_frame(pd.read_json(stream, **self._load_options()))

    def _write(self, data: pd.DataFrame, stream: IO[bytes]) -> None:
        self._require_frame(data).to_json(stream, **self._save_options())


class ExcelDataset(_FrameFile[ExcelLoad, ExcelSave]):
    """One or several pandas DataFrames as the sheets of an Excel workbook (``.xlsx``).

    ``load_args`` go to :func:`pandas.read_excel` (default ``engine="openpyxl"``):
    ``sheet_name`` picks a sheet by name or position (default: the first sheet, loaded as a
    DataFrame); a list of them, or ``null`` for every sheet, loads a dict of DataFrames.

    Saving a DataFrame writes one sheet (``save_args: {sheet_name: ...}``, default
    ``Sheet1``); saving a dict of DataFrames writes one sheet per key, in order.
    ``save_args`` go to :meth:`pandas.DataFrame.to_excel` for every sheet (default
    ``index=False``), except ``writer``, whose options go to :class:`pandas.ExcelWriter`
    (default ``engine="openpyxl"``).

    The workbook is built in memory, then written out in one piece, so a failure never
    leaves a half-written archive behind; Excel's own limits keep workbooks small enough.

    Example YAML::

        sales_report:
          type: pandas.ExcelDataset
          filepath: data/08_reporting/sales.xlsx
          load_args: {sheet_name: null}
          save_args:
            index: false
            writer: {engine_kwargs: {iso_dates: true}}
          versioned: true
    """

    _load_defaults: ClassVar[Mapping[str, Any]] = {"engine": "openpyxl"}
    _save_defaults: ClassVar[Mapping[str, Any]] = {"index": False}

    def _read(self, stream: IO[bytes]) -> ExcelLoad:
        result: object = pd.read_excel(stream, **self._load_options())
        if isinstance(result, dict):
            return {key: self._loaded_frame(frame) for key, frame in result.items()}
        return self._loaded_frame(result)

    def _write(self, data: ExcelSave, stream: IO[bytes]) -> None:
        options = self._save_options()
        writer_options = {"engine": "openpyxl", **options.pop("writer", {})}
        sheets = self._sheets(data, options.pop("sheet_name", "Sheet1"))
        # A zip archive that fails midway is closed again by the garbage collector, writing
        # to a dead stream; building it in memory keeps failures clean and atomic.
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, **writer_options) as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, **options)
        stream.write(buffer.getbuffer())

    def _sheets(self, data: object, default_name: str) -> dict[str, pd.DataFrame]:
        if isinstance(data, pd.DataFrame):
            return {default_name: data}
        if not isinstance(data, Mapping) or not data:
            raise TypeError(
                f"{self._type_label()} saves a pandas.DataFrame or a non-empty dict of "
                f"sheet name to pandas.DataFrame, got {_type_name(data)}"
                f"{' (empty)' if isinstance(data, Mapping) else ''}."
            )
        for name, frame in data.items():
            if not isinstance(name, str) or not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"{self._type_label()} saves a dict of sheet name (str) to "
                    f"pandas.DataFrame, got {name!r}: {_type_name(frame)}."
                )
        return dict(data)


class FeatherDataset(_FrameFile[pd.DataFrame, pd.DataFrame]):
    """A pandas DataFrame in a Feather (Arrow IPC) file: fast to read and write.

    ``load_args`` go to :func:`pandas.read_feather` (``columns`` reads only some columns),
    ``save_args`` to :meth:`pandas.DataFrame.to_feather` (``compression``:
    ``zstd``, ``lz4`` or ``uncompressed``).

    Example YAML::

        features:
          type: pandas.FeatherDataset
          filepath: data/04_feature/features.feather
          save_args: {compression: zstd}
    """

    def _read(self, stream: IO[bytes]) -> pd.DataFrame:
        return self._loaded_frame(pd.read_feather(stream, **self._load_options()))

    def _write(self, data: pd.DataFrame, stream: IO[bytes]) -> None:
        self._require_frame(data).to_feather(stream, **self._save_options())
