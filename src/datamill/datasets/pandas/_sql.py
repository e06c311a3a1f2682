"""pandas data frames in SQL databases: whole tables, and the results of queries.

**Connections.** ``credentials`` hold a SQLAlchemy URL under ``con`` and, optionally, options
for :func:`sqlalchemy.create_engine`. Engines are created on first use and shared by every
SQL dataset with the same URL and options, through the explicit :class:`EngineRegistry`
that the dataset classes hold as ``engines``; ``SQLTableDataset.engines.clear()`` disposes of
them all. A dataset itself holds no engine, so it pickles without one, and a forked process
starts its own engines instead of sharing the parent's sockets.

**Atomic saves.** A save runs in one transaction: drop (or empty) the table, create it,
insert every row, commit. If anything fails midway the transaction is rolled back and the
previous table is intact. PostgreSQL and DuckDB run DDL in transactions; SQLite does too,
but Python's ``sqlite3`` module commits DDL on its own, so engines for it are set to let
SQLAlchemy issue ``BEGIN`` itself.

**Secrets.** The URL is only ever shown with its password (and secret-looking query values)
replaced by ``***``; error messages from drivers are scrubbed of every secret in the
credentials before they are shown, and dropped from the chain if they would reveal one.

**Fingerprints.** None: no database offers a cheap and reliable identity of a table's
content (row counts and statistics miss updates, checksums read the whole table), so
whatever depends on a SQL dataset counts as changed on every run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

import fsspec
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from datamill.errors import DatasetError
from datamill.io._dataset import AbstractDataset

__all__ = ["EngineRegistry", "SQLQueryDataset", "SQLTableDataset"]

_MASK = "***"
_SHORT_SECRET = 6  # secrets shorter than this are only masked as whole words
_SECRET_KEY = re.compile(r"password|passwd|pwd|secret|token|key|credential", re.IGNORECASE)
_URL_EXAMPLE = "'postgresql+psycopg://user:password@host:5432/database'"
_SAVE_MODES = ("replace", "append", "fail", "delete_rows")
_RESERVED_TABLE_LOAD_ARGS = ("con", "table_name", "chunksize")
_RESERVED_SAVE_ARGS = ("con", "name")
_RESERVED_QUERY_LOAD_ARGS = ("con", "sql", "chunksize")
_WHY_RESERVED = {
    "con": "the connection comes from the credentials",
    "table_name": "the table is the dataset's table_name",
    "name": "the table is the dataset's table_name",
    "sql": "the query is the dataset's sql or filepath",
    "chunksize": "loads return whole frames (chunked loads are not supported)",
}


# -- connection details -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Connection:
    """A checked ``credentials`` mapping: the URL, engine options and what must stay hidden."""

    con: str
    options: Mapping[str, Any]
    shown: str
    secrets: re.Pattern[str] | None

    @classmethod
    def parse(cls, credentials: object, owner: str) -> _Connection:
        """Check ``credentials`` of the dataset described by ``owner``; never echo values."""
        if not isinstance(credentials, Mapping):
            raise DatasetError(
                f"{owner} needs credentials as a mapping with a 'con' entry, a SQLAlchemy URL "
                f"such as {_URL_EXAMPLE}; got a {type(credentials).__name__}."
            )
        con = credentials.get("con")
        if not isinstance(con, str) or not con:
            keys = ", ".join(repr(k) for k in credentials) or "none"
            raise DatasetError(
                f"{owner} needs credentials with a 'con' entry, a SQLAlchemy URL such as "
                f"{_URL_EXAMPLE}; the credentials have the keys: {keys}."
            )
        url = _parse_url(con, owner)
        options = {k: v for k, v in credentials.items() if k != "con"}
        return cls(con, options, _masked(url), _secrets_of(con, url, options))

    def scrub(self, text: str) -> str:
        """``text`` with every secret of the credentials replaced by ``***``."""
        return text if self.secrets is None else self.secrets.sub(_MASK, text)

    def reveals_secret(self, exc: BaseException) -> bool:
        """Tell whether ``exc`` or an exception it was raised from mentions a secret."""
        seen: set[int] = set()
        current: BaseException | None = exc
        while self.secrets is not None and current is not None and id(current) not in seen:
            seen.add(id(current))
            if self.secrets.search(f"{current} {current.args!r}"):
                return True
            current = current.__cause__ or current.__context__
        return False


def _parse_url(con: str, owner: str) -> URL:
    try:
        return sa.make_url(con)
    except Exception:  # the message could quote the URL, password included: not shown
        raise DatasetError(
            f"The 'con' entry in the credentials of {owner} is not a SQLAlchemy URL; expected "
            f"'dialect+driver://user:password@host:port/database', such as {_URL_EXAMPLE}, "
            "'sqlite:///data/warehouse.db' or 'duckdb:///data/warehouse.duckdb'."
        ) from None


def _masked(url: URL) -> str:
    """The URL with its password and secret-looking query values replaced by ``***``."""
    hidden = {key: _MASK for key in url.query if _SECRET_KEY.search(key)}
    if hidden:
        url = url.update_query_dict(hidden)
    shown = url.render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", _MASK)


def _secrets_of(con: str, url: URL, options: Mapping[str, Any]) -> re.Pattern[str] | None:
    """A pattern matching every secret in the credentials, or ``None`` if there are none.

    Long secrets match anywhere; short ones only as whole words, so that masking a password
    such as ``p`` does not garble every ``p`` of a message.
    """
    found: set[str] = set()
    if url.password:
        password = str(url.password)
        found.update((con, password, quote(password, safe=""), quote_plus(password)))
    for key, value in url.query.items():
        if _SECRET_KEY.search(key):
            found.update([value] if isinstance(value, str) else value)
    found.update(_secret_values(options))
    # Longest first, so that a secret containing another is masked whole.
    ordered = sorted((s for s in found if s), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(_secret_regex(secret) for secret in ordered))


def _secret_regex(secret: str) -> str:
    if len(secret) >= _SHORT_SECRET:
        return re.escape(secret)
    return rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])"


def _secret_values(value: Any, secret: bool = False) -> Iterator[str]:
    """Every string in ``value`` held under a secret-looking key, at any depth."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_values(item, secret or bool(_SECRET_KEY.search(str(key))))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item, secret)
    elif secret and value is not None:
        yield str(value)


# -- engines ----------------------------------------------------------------------------------


class EngineRegistry:
    """SQLAlchemy engines shared by SQL datasets, one per connection URL and engine options.

    An engine holds a pool of connections, so datasets on one database share it rather than
    each opening its own. The registry is an explicit object: both SQL dataset classes use
    the one in ``SQLTableDataset.engines``, and :meth:`clear` disposes of every engine (at
    the end of a session, or between tests). After a fork the child process drops the
    engines it inherited, leaving the parent's connections alone, and creates its own.

    Engines get two adjustments where the defaults would be wrong for datamill:

    - SQLite: SQLAlchemy issues ``BEGIN`` itself, so that table drops and creations are part
      of the transaction (Python's ``sqlite3`` would commit them at once).
    - DuckDB files: connections are not pooled, so the file's lock is released after each
      load or save and other processes (a process runner's workers) can open it.
    """

    def __init__(self) -> None:
        self._engines: dict[tuple[str, str], Engine] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self, con: str, options: Mapping[str, Any]) -> Engine:
        """The engine for the URL ``con`` and ``create_engine`` ``options``, made on first use.

        Raises:
            Exception: Whatever :func:`sqlalchemy.create_engine` raises for an unknown
                dialect, a missing driver or invalid options.
        """
        key = (con, json.dumps(options, sort_keys=True, default=repr))
        with self._lock:
            self._forget_inherited()
            engine = self._engines.get(key)
            if engine is None:
                engine = self._engines[key] = _create_engine(con, options)
            return engine

    def clear(self) -> None:
        """Dispose of every engine (closing their pooled connections) and forget them."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()

    def __len__(self) -> int:
        return len(self._engines)

    def __repr__(self) -> str:
        return f"EngineRegistry({len(self._engines)} engines)"

    def _forget_inherited(self) -> None:
        if self._pid == os.getpid():
            return
        for engine in self._engines.values():
            engine.dispose(close=False)  # the parent still uses these connections
        self._engines = {}
        self._pid = os.getpid()


def _create_engine(con: str, options: Mapping[str, Any]) -> Engine:
    url = sa.make_url(con)
    kwargs = dict(options)
    if url.get_backend_name() == "duckdb" and _is_duckdb_file(url):
        kwargs.setdefault("poolclass", NullPool)
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        _let_sqlalchemy_begin(engine)
    return engine


def _is_duckdb_file(url: URL) -> bool:
    database = url.database or ""
    return bool(database) and not database.startswith((":memory:", "md:", "motherduck:"))


def _let_sqlalchemy_begin(engine: Engine) -> None:
    """Make SQLite transactions cover DDL (``sqlite3`` otherwise commits it on its own)."""

    def no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", no_implicit_transactions)
    event.listen(engine, "begin", begin)


# -- the datasets -----------------------------------------------------------------------------


class _SQLDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """What both SQL datasets share: the connection, the engine registry, scrubbed errors."""

    engines: ClassVar[EngineRegistry] = EngineRegistry()
    """The engines of every SQL dataset; ``clear()`` disposes of them."""

    _connection: _Connection
    location_keys: ClassVar[frozenset[str]] = frozenset()
    # The data has no fingerprint to stand for where it is (see `assume_unchanged`), so the
    # table, query and connection count as configuration.

    def fingerprint(self) -> str | None:
        """Always ``None``: a table's content has no cheap and reliable identity."""
        return None

    @contextlib.contextmanager
    def _connect(self, failure: str, *, transaction: bool = False) -> Iterator[Connection]:
        """A connection (in a transaction if asked), turning errors into scrubbed ones.

        ``failure`` starts the error message, with ``{dataset}`` standing for the repr.
        """
        try:
            engine = self.engines.get(self._connection.con, self._connection.options)
            connection = engine.connect()
        except Exception as exc:
            hint = (
                "\nCheck that the database server is running and reachable, that the "
                "credentials are right, and that the driver named in the URL is installed."
            )
            error = self._error(f"Cannot connect to the database of {self!r}", exc, hint)
            raise error from self._cause(exc)
        try:
            with connection, connection.begin() if transaction else contextlib.nullcontext():
                yield connection
        except DatasetError:
            raise
        except Exception as exc:
            message = failure.format(dataset=repr(self))
            raise self._error(message, exc) from self._cause(exc)

    def _error(self, message: str, exc: BaseException, hint: str = "") -> DatasetError:
        detail = self._connection.scrub(f"{type(exc).__name__}: {exc}")
        return DatasetError(f"{message}: {detail}{hint}")

    def _cause(self, exc: BaseException) -> BaseException | None:
        """``exc``, unless it (or what caused it) would reveal a secret in a traceback."""
        return None if self._connection.reveals_secret(exc) else exc


# Pooled connections still open at exit would each raise a ResourceWarning when collected.
atexit.register(_SQLDataset.engines.clear)


class SQLTableDataset(_SQLDataset):
    """A table in a SQL database, loaded and saved whole as a pandas DataFrame.

    A save replaces the table atomically: in one transaction the table is dropped, created
    from the frame's columns and filled, so a failure midway keeps the previous table (see
    the module documentation). Loading a table that does not exist raises a
    :class:`~datamill.errors.DatasetError`.

    Args:
        table_name: The table's name, as the database spells it (no quoting needed).
        credentials: ``con``, a SQLAlchemy URL (``sqlite:///data/db.sqlite``,
            ``duckdb:///data/warehouse.duckdb``, ``postgresql+psycopg://user:pw@host/db``),
            plus any options for :func:`sqlalchemy.create_engine` (``pool_size``,
            ``connect_args``). Never shown: descriptions show the URL without its password.
        load_args: Options for :func:`pandas.read_sql_table` (``columns``, ``parse_dates``,
            ``index_col``, ``schema``, ``dtype_backend``); ``chunksize`` is not supported.
        save_args: Options for :meth:`pandas.DataFrame.to_sql` (``schema``, ``dtype``,
            ``chunksize``, ``method``, ``index``). ``if_exists`` is ``"replace"`` (default),
            ``"append"``, ``"delete_rows"`` (empty the table, keep its definition) or
            ``"fail"``; ``index`` defaults to ``False``.
        metadata: Free-form information for plugins; ignored by datamill.

    Raises:
        DatasetError: A missing table name, credentials without a valid ``con`` URL, or
            unsupported load or save arguments.

    Example YAML::

        companies:
          type: pandas.SQLTableDataset
          table_name: companies
          credentials: warehouse
          save_args:
            chunksize: 10000

    with ``conf/local/credentials.yml``::

        warehouse:
          con: postgresql+psycopg://analyst:s3cret@db.internal:5432/shop
    """

    persistent: ClassVar[bool] = True

    def __init__(
        self,
        table_name: str,
        credentials: Mapping[str, Any],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise DatasetError(
                f"SQLTableDataset needs a table_name (a non-empty string), got {table_name!r}."
            )
        self._table_name = table_name
        owner = f"SQLTableDataset({table_name!r})"
        self._connection = _Connection.parse(credentials, owner)
        self._load_args = _checked_args(load_args, _RESERVED_TABLE_LOAD_ARGS, owner, "load_args")
        self._save_args = _checked_args(save_args, _RESERVED_SAVE_ARGS, owner, "save_args")
        self._schema = _schema_of(self._load_args, self._save_args, owner)
        _check_save_mode(self._save_args, owner)
        self.metadata = dict(metadata or {})

    @property
    def table_name(self) -> str:
        """The table's name."""
        return self._table_name

    def _load(self) -> pd.DataFrame:
        with self._connect("Failed to load {dataset}") as connection:
            if not self._table_exists(connection):
                raise DatasetError(
                    f"Cannot load {self!r}: table {self._qualified_name()!r} does not exist. "
                    "Save to the dataset first, or check the table_name and schema."
                )
            options = {k: v for k, v in self._load_args.items() if k != "schema"}
            if connection.dialect.name == "duckdb":
                return self._read_with_select(connection, options)
            frame: pd.DataFrame = pd.read_sql_table(
                self._table_name, connection, schema=self._schema, **options
            )
            return frame

    def _save(self, data: pd.DataFrame) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DatasetError(f"{self!r} saves pandas DataFrames, got {type(data).__name__}.")
        options = {"if_exists": "replace", "index": False, **self._save_args}
        mode = options.pop("if_exists")
        options["schema"] = self._schema
        with self._connect("Failed to save to {dataset}", transaction=True) as connection:
            self._prepare_table(connection, mode)
            data.to_sql(name=self._table_name, con=connection, if_exists="append", **options)

    def _exists(self) -> bool:
        with self._connect("Failed to check whether {dataset} exists") as connection:
            return self._table_exists(connection)

    def _describe(self) -> dict[str, Any]:
        return {
            "table_name": self._table_name,
            "con": self._connection.shown,
            "load_args": self._load_args or None,
            "save_args": self._save_args or None,
        }

    def _table_exists(self, connection: Connection) -> bool:
        return sa.inspect(connection).has_table(self._table_name, schema=self._schema)

    def _qualified_name(self) -> str:
        return self._table_name if self._schema is None else f"{self._schema}.{self._table_name}"

    def _prepare_table(self, connection: Connection, mode: str) -> None:
        """Make way for the rows to insert, according to ``if_exists``."""
        if mode == "append" or not self._table_exists(connection):
            return
        if mode == "fail":
            raise DatasetError(
                f"Cannot save to {self!r}: table {self._qualified_name()!r} already exists and "
                "save_args has if_exists: fail. Use 'replace' or 'append' to write to it."
            )
        table = sa.Table(self._table_name, sa.MetaData(), schema=self._schema)
        if mode == "replace":
            connection.execute(sa.schema.DropTable(table))
        else:  # delete_rows
            connection.execute(sa.delete(table))

    def _read_with_select(self, connection: Connection, options: dict[str, Any]) -> pd.DataFrame:
        """Read with ``SELECT``, for databases SQLAlchemy cannot reflect tables of (DuckDB)."""
        names = options.pop("columns", None)
        columns: list[sa.ColumnClause[Any] | sa.TextClause] = [sa.text("*")]
        if names:
            columns = [sa.column(name) for name in names]
        query = sa.select(*columns).select_from(sa.table(self._table_name, schema=self._schema))
        frame: pd.DataFrame = pd.read_sql_query(query, connection, **options)
        return frame


class SQLQueryDataset(_SQLDataset):
    """The result of a SQL query, loaded as a pandas DataFrame; read-only.

    The query is given inline (``sql``) or read from a file (``filepath``, any fsspec URL),
    exactly one of the two. Parameters are named in the query as ``:name`` and given in
    ``load_args`` as ``params``, whatever the database, so the same query runs on SQLite,
    DuckDB and PostgreSQL (write ``\\:`` for a colon that is not a parameter).

    Args:
        sql: The query.
        credentials: ``con``, a SQLAlchemy URL, plus any options for
            :func:`sqlalchemy.create_engine`, as for :class:`SQLTableDataset`. Never shown.
        filepath: Where to read the query from, instead of ``sql``.
        load_args: Options for :func:`pandas.read_sql_query` (``params``, a mapping of
            parameter values; ``parse_dates``, ``index_col``, ``dtype``, ``dtype_backend``).
        fs_args: Options for the fsspec filesystem the query file is on.
        metadata: Free-form information for plugins; ignored by datamill.

    Raises:
        DatasetError: Both or neither of ``sql`` and ``filepath``, credentials without a
            valid ``con`` URL, or ``params`` that are not a mapping.

    Example YAML::

        big_customers:
          type: pandas.SQLQueryDataset
          filepath: conf/base/queries/big_customers.sql
          credentials: warehouse
          load_args:
            params:
              min_orders: 10
    """

    persistent: ClassVar[bool] = True

    def __init__(
        self,
        sql: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        *,
        filepath: str | None = None,
        load_args: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        _check_query_source(sql, filepath)
        self._sql = sql or None
        self._filepath = filepath or None
        owner = f"SQLQueryDataset({self._source()})"
        self._connection = _Connection.parse(credentials, owner)
        self._load_args = _checked_args(load_args, _RESERVED_QUERY_LOAD_ARGS, owner, "load_args")
        _check_params(self._load_args.get("params"), owner)
        self._fs_args = dict(fs_args or {})
        self.metadata = dict(metadata or {})

    def _load(self) -> pd.DataFrame:
        query = sa.text(self._query())
        with self._connect("Failed to run the query of {dataset}") as connection:
            frame: pd.DataFrame = pd.read_sql_query(query, connection, **self._load_args)
            return frame

    def _save(self, data: pd.DataFrame) -> None:
        raise DatasetError(
            f"Cannot save to {self!r}: a SQLQueryDataset is read-only, it loads the result of "
            "a query. To write a table, declare a pandas.SQLTableDataset."
        )

    def _describe(self) -> dict[str, Any]:
        return {
            "sql": self._sql,
            "filepath": self._filepath,
            "con": self._connection.shown,
            "load_args": self._load_args or None,
            "fs_args": self._fs_args or None,
        }

    def _source(self) -> str:
        return f"filepath={self._filepath!r}" if self._filepath else f"sql={self._sql!r}"

    def _query(self) -> str:
        if self._filepath is None:
            return str(self._sql)
        try:
            with fsspec.open(self._filepath, "r", encoding="utf-8", **self._fs_args) as stream:
                return str(stream.read())
        except FileNotFoundError:
            raise DatasetError(
                f"Cannot load {self!r}: the query file {self._filepath!r} does not exist."
            ) from None


# -- argument checks --------------------------------------------------------------------------


def _checked_args(
    args: Mapping[str, Any] | None, reserved: tuple[str, ...], owner: str, what: str
) -> dict[str, Any]:
    checked = dict(args or {})
    refused = [key for key in reserved if key in checked]
    if refused:
        names = ", ".join(repr(key) for key in refused)
        reasons = "; ".join(_WHY_RESERVED[key] for key in refused)
        raise DatasetError(f"{owner}: {what} cannot set {names}: {reasons}.")
    return checked


def _schema_of(
    load_args: Mapping[str, Any], save_args: Mapping[str, Any], owner: str
) -> str | None:
    """The schema the table is in, from ``load_args`` or ``save_args`` (which must agree)."""
    load_schema = load_args.get("schema")
    save_schema = save_args.get("schema")
    if load_schema is not None and save_schema is not None and load_schema != save_schema:
        raise DatasetError(
            f"{owner}: load_args has schema {load_schema!r} but save_args has schema "
            f"{save_schema!r}; a dataset is one table, so give the same schema (or set it once)."
        )
    schema = save_schema if load_schema is None else load_schema
    return None if schema is None else str(schema)


def _check_save_mode(save_args: Mapping[str, Any], owner: str) -> None:
    mode = save_args.get("if_exists", "replace")
    if mode not in _SAVE_MODES:
        allowed = ", ".join(repr(m) for m in _SAVE_MODES)
        raise DatasetError(f"{owner}: save_args if_exists must be one of {allowed}, got {mode!r}.")


def _check_query_source(sql: str | None, filepath: str | None) -> None:
    if sql and filepath:
        raise DatasetError(
            f"SQLQueryDataset takes its query either inline (sql) or from a file (filepath), "
            f"not both; got sql={sql!r} and filepath={filepath!r}."
        )
    if not sql and not filepath:
        raise DatasetError(
            "SQLQueryDataset needs a query: give sql: 'SELECT ...', or filepath: the path or "
            "URL of a .sql file."
        )


def _check_params(params: object, owner: str) -> None:
    if params is not None and not isinstance(params, Mapping):
        raise DatasetError(
            f"{owner}: load_args params must be a mapping of named parameters, written "
            f"':name' in the query (e.g. params: {{min_orders: 10}}); got a "
            f"{type(params).__name__}."
        )
