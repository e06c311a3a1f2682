"""polars DataFrames and LazyFrames in CSV and Parquet files.

``CSVDataset`` and ``ParquetDataset`` load and save an eager :class:`polars.DataFrame`.
``LazyCSVDataset`` and ``LazyParquetDataset`` load a :class:`polars.LazyFrame`, so that a
node's filters and column selections are pushed down into the read, and save either a
LazyFrame (streamed to the file with ``sink_csv``/``sink_parquet``, without collecting it in
memory) or a DataFrame.

**How lazy loads read.** On the local disk a lazy load scans the file's real path: nothing is
read until the LazyFrame is collected, and then only what the query needs. The file is opened
at collect time, so collecting after the dataset was saved again reads the new content (a
versioned dataset pins the version it resolved at load time), and a file deleted in between
fails the collect rather than the load. On any other filesystem (object stores, memory) polars
cannot reach the file through fsspec, so the load downloads the whole file and scans the bytes
in memory: the query still only decodes what it needs, but the download is not lazy. The same
``load_args`` serve both ways (they go to ``scan_csv``/``scan_parquet``).

Writes are atomic like every file dataset's: a sink streams to a temporary file that replaces
the target only once complete, so a node may read a lazy dataset and save to the same one.
"""

from __future__ import annotations

import abc
from typing import IO, Any

import polars as pl

from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["CSVDataset", "LazyCSVDataset", "LazyParquetDataset", "ParquetDataset"]


def _type_name(value: object) -> str:
    """``list``, ``pandas.DataFrame``, ``polars.DataFrame``: short but unambiguous."""
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__.partition('.')[0]}.{cls.__qualname__}"


def _wrong_type(dataset: FileDataset[Any, Any], expected: str, data: object) -> TypeError:
    return TypeError(
        f"polars.{type(dataset).__name__} saves {expected}, got {_type_name(data)}; return "
        "one from the node or pick a dataset type for this data."
    )


def _require_frame(dataset: FileDataset[Any, Any], data: object) -> pl.DataFrame:
    if not isinstance(data, pl.DataFrame):
        raise _wrong_type(dataset, "a polars.DataFrame", data)
    return data


class CSVDataset(FileDataset[pl.DataFrame, pl.DataFrame]):
    """A polars DataFrame in a CSV file.

    ``load_args`` go to :func:`polars.read_csv` (``separator``, ``columns``,
    ``schema_overrides``, ``try_parse_dates``, ...), ``save_args`` to
    :meth:`polars.DataFrame.write_csv` (``separator``, ``include_header``, ...).

    Example YAML::

        shuttles:
          type: polars.CSVDataset
          filepath: data/01_raw/shuttles.csv
          load_args: {separator: ";", try_parse_dates: true}
          save_args: {separator: ";"}
    """

    def _read(self, stream: IO[bytes]) -> pl.DataFrame:
        return pl.read_csv(stream, **self._load_args)

    def _write(self, data: pl.DataFrame, stream: IO[bytes]) -> None:
        _require_frame(self, data).write_csv(stream, **self._save_args)


class ParquetDataset(FileDataset[pl.DataFrame, pl.DataFrame]):
    """A polars DataFrame in a Parquet file.

    ``load_args`` go to :func:`polars.read_parquet` (``columns``, ``n_rows``, ...),
    ``save_args`` to :meth:`polars.DataFrame.write_parquet` (``compression``,
    ``row_group_size``, ...).

    Example YAML::

        model_input:
          type: polars.ParquetDataset
          filepath: s3://bucket/03_primary/model_input.parquet
          credentials: s3_creds
          load_args: {columns: [id, price]}
          save_args: {compression: zstd}
          versioned: true
    """

    def _read(self, stream: IO[bytes]) -> pl.DataFrame:
        return pl.read_parquet(stream, **self._load_args)

    def _write(self, data: pl.DataFrame, stream: IO[bytes]) -> None:
        _require_frame(self, data).write_parquet(stream, **self._save_args)


class _LazyFile(FileDataset[pl.LazyFrame, pl.LazyFrame | pl.DataFrame]):
    """Loads a LazyFrame (scanning local files in place); saves a LazyFrame or a DataFrame."""

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        super().__init__(filepath, **kwargs)
        if self._save_args.get("lazy"):
            # A sink with lazy=True returns a query plan and writes nothing.
            raise DatasetError(
                f"polars.{type(self).__name__}({filepath!r}): save_args has lazy: true, which "
                "would make the save return a query plan and write nothing. Remove it."
            )

    def _load(self) -> pl.LazyFrame:
        fs = self._filesystem()
        if not self._is_local(fs):
            return super()._load()  # downloads, then scans the bytes through _read
        path = self._load_path()
        if not fs.isfile(path):
            raise self._missing(path)
        return self._scan(path)

    def _read(self, stream: IO[bytes]) -> pl.LazyFrame:
        return self._scan(stream.read())

    def _write(self, data: pl.LazyFrame | pl.DataFrame, stream: IO[bytes]) -> None:
        if isinstance(data, pl.LazyFrame):
            self._sink(data, stream)
        elif isinstance(data, pl.DataFrame):
            self._write_frame(data, stream)
        else:
            raise _wrong_type(self, "a polars.LazyFrame or polars.DataFrame", data)

    @abc.abstractmethod
    def _scan(self, source: str | bytes) -> pl.LazyFrame:
        """Scan a local path or the file's bytes with ``load_args``."""

    @abc.abstractmethod
    def _sink(self, data: pl.LazyFrame, stream: IO[bytes]) -> None:
        """Stream a LazyFrame's result into the stream with ``save_args``."""

    @abc.abstractmethod
    def _write_frame(self, data: pl.DataFrame, stream: IO[bytes]) -> None:
        """Write a DataFrame into the stream with ``save_args``."""


class LazyCSVDataset(_LazyFile):
    """A CSV file loaded as a polars LazyFrame; saves a LazyFrame (streamed) or a DataFrame.

    ``load_args`` go to :func:`polars.scan_csv`; ``save_args`` to
    :meth:`polars.LazyFrame.sink_csv` or :meth:`polars.DataFrame.write_csv` (give options
    both accept, such as ``separator`` and ``include_header``). See the module documentation
    for how local and remote files are read.

    Example YAML::

        trips:
          type: polars.LazyCSVDataset
          filepath: data/01_raw/trips.csv
          load_args: {separator: ",", try_parse_dates: true}
    """

    def _scan(self, source: str | bytes) -> pl.LazyFrame:
        return pl.scan_csv(source, **self._load_args)

    def _sink(self, data: pl.LazyFrame, stream: IO[bytes]) -> None:
        data.sink_csv(stream, **self._save_args)

    def _write_frame(self, data: pl.DataFrame, stream: IO[bytes]) -> None:
        data.write_csv(stream, **self._save_args)


class LazyParquetDataset(_LazyFile):
    """A Parquet file loaded as a polars LazyFrame; saves a LazyFrame (streamed) or a DataFrame.

    ``load_args`` go to :func:`polars.scan_parquet`; ``save_args`` to
    :meth:`polars.LazyFrame.sink_parquet` or :meth:`polars.DataFrame.write_parquet` (give
    options both accept, such as ``compression`` and ``row_group_size``). See the module
    documentation for how local and remote files are read.

    Example YAML::

        trips_clean:
          type: polars.LazyParquetDataset
          filepath: data/02_intermediate/trips.parquet
          save_args: {compression: zstd}
          versioned: true
    """

    def _scan(self, source: str | bytes) -> pl.LazyFrame:
        return pl.scan_parquet(source, **self._load_args)

    def _sink(self, data: pl.LazyFrame, stream: IO[bytes]) -> None:
        data.sink_parquet(stream, **self._save_args)

    def _write_frame(self, data: pl.DataFrame, stream: IO[bytes]) -> None:
        data.write_parquet(stream, **self._save_args)
