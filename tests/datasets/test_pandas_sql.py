"""SQL datasets on SQLite, DuckDB and a real PostgreSQL server: the contract, atomic saves,
queries, masked secrets and argument errors."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import traceback
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pytest
import sqlalchemy

from datamill.datasets.pandas import SQLQueryDataset, SQLTableDataset
from datamill.datasets.pandas._sql import EngineRegistry
from datamill.errors import DatasetError
from datamill.testing import DatasetContract, DatasetFactory
from tests.datasets.conftest import PostgresServer, free_port

BACKENDS = ["sqlite", "duckdb", "postgresql"]


class Unstorable:
    """A value no database driver knows how to store."""


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    # Pooled connections to a test's files (or to the server) must not outlive the test.
    yield
    SQLTableDataset.engines.clear()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def con(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of the backend (PostgreSQL: a shared server)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/warehouse.db"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path}/warehouse.duckdb"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url


@pytest.fixture
def table() -> str:
    """A table name no other test uses (PostgreSQL tests share one database)."""
    return f"companies_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, None]})


def assert_frames_equal(loaded: Any, expected: Any) -> None:
    pd.testing.assert_frame_equal(loaded, expected)


def full_text(error: BaseException) -> str:
    """What a traceback of ``error`` would show, causes included."""
    return "".join(traceback.format_exception(error))


# -- the contract -----------------------------------------------------------------------------


class TestSQLTableDataset(DatasetContract):
    @pytest.fixture
    def make_dataset(self, con: str, table: str) -> DatasetFactory:
        return lambda: SQLTableDataset(table, {"con": con})

    @pytest.fixture
    def sample_data(self, frame: pd.DataFrame) -> Any:
        return frame

    @pytest.fixture
    def other_data(self) -> Any:
        return pd.DataFrame({"city": ["Oslo", "Lima"], "year": [2020, 2021]})

    @pytest.fixture
    def secrets(self, backend: str, request: pytest.FixtureRequest) -> Sequence[str]:
        if backend != "postgresql":
            return ()
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return (server.password,)

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        assert_frames_equal(loaded, expected)


# -- saving -----------------------------------------------------------------------------------


def test_a_save_failing_midway_keeps_the_previous_table(
    con: str, table: str, frame: pd.DataFrame
) -> None:
    SQLTableDataset(table, {"con": con}).save(frame)
    rows = pd.DataFrame({"id": range(5), "name": ["v", "w", "x", Unstorable(), "z"]})
    in_chunks = SQLTableDataset(table, {"con": con}, save_args={"chunksize": 2})

    with pytest.raises(DatasetError, match="Failed to save"):
        in_chunks.save(rows)  # the first chunks are inserted before the failure

    assert_frames_equal(SQLTableDataset(table, {"con": con}).load(), frame)


def test_a_first_save_failing_midway_leaves_no_table(con: str, table: str) -> None:
    rows = pd.DataFrame({"id": range(5), "name": ["v", "w", "x", Unstorable(), "z"]})
    dataset = SQLTableDataset(table, {"con": con}, save_args={"chunksize": 2})

    with pytest.raises(DatasetError):
        dataset.save(rows)

    assert dataset.exists() is False


def test_append_adds_rows(con: str, table: str, frame: pd.DataFrame) -> None:
    dataset = SQLTableDataset(table, {"con": con}, save_args={"if_exists": "append"})
    dataset.save(frame)
    dataset.save(frame)

    expected = pd.concat([frame, frame], ignore_index=True)
    assert_frames_equal(dataset.load(), expected)


def test_delete_rows_keeps_the_table_definition(con: str, table: str, frame: pd.DataFrame) -> None:
    SQLTableDataset(table, {"con": con}).save(frame)
    dataset = SQLTableDataset(table, {"con": con}, save_args={"if_exists": "delete_rows"})
    dataset.save(frame.iloc[:1])

    assert_frames_equal(dataset.load(), frame.iloc[:1])
    with pytest.raises(DatasetError, match="Failed to save"):
        dataset.save(pd.DataFrame({"other": [1]}))  # no such column in the kept definition


def test_fail_mode_refuses_an_existing_table(con: str, table: str, frame: pd.DataFrame) -> None:
    dataset = SQLTableDataset(table, {"con": con}, save_args={"if_exists": "fail"})
    dataset.save(frame)

    with pytest.raises(DatasetError, match="already exists and save_args has if_exists: fail"):
        dataset.save(frame)
    assert_frames_equal(dataset.load(), frame)


def test_saving_something_else_than_a_frame_is_refused(con: str, table: str) -> None:
    with pytest.raises(DatasetError, match="saves pandas DataFrames, got list"):
        SQLTableDataset(table, {"con": con}).save([1, 2])  # type: ignore[arg-type]


def test_index_is_saved_when_asked(con: str, table: str, frame: pd.DataFrame) -> None:
    indexed = frame.set_index("id")
    dataset = SQLTableDataset(
        table, {"con": con}, load_args={"index_col": "id"}, save_args={"index": True}
    )
    dataset.save(indexed)

    assert_frames_equal(dataset.load(), indexed)


# -- loading ----------------------------------------------------------------------------------


def test_loading_a_missing_table_names_it(con: str) -> None:
    dataset = SQLTableDataset("no_such_table", {"con": con})

    with pytest.raises(DatasetError, match="table 'no_such_table' does not exist"):
        dataset.load()


def test_load_args_select_columns(con: str, table: str, frame: pd.DataFrame) -> None:
    SQLTableDataset(table, {"con": con}).save(frame)
    dataset = SQLTableDataset(table, {"con": con}, load_args={"columns": ["name", "id"]})

    assert_frames_equal(dataset.load(), frame[["name", "id"]])


def test_names_needing_quotes_work(con: str, frame: pd.DataFrame) -> None:
    odd = frame.rename(columns={"name": "Company Name"})
    dataset = SQLTableDataset(f"Odd Table {uuid.uuid4().hex[:6]}", {"con": con})
    dataset.save(odd)

    assert_frames_equal(dataset.load(), odd)


def test_a_schema_is_used_for_loads_saves_and_exists(
    postgres_server: PostgresServer, table: str, frame: pd.DataFrame
) -> None:
    schema = f"s_{uuid.uuid4().hex[:6]}"
    engine = sqlalchemy.create_engine(postgres_server.url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.schema.CreateSchema(schema))
    engine.dispose()
    in_schema = SQLTableDataset(table, {"con": postgres_server.url}, save_args={"schema": schema})
    in_schema.save(frame)

    assert in_schema.exists() is True
    assert SQLTableDataset(table, {"con": postgres_server.url}).exists() is False
    assert_frames_equal(in_schema.load(), frame)


# -- queries ----------------------------------------------------------------------------------


def test_a_query_runs_with_named_parameters(con: str, table: str, frame: pd.DataFrame) -> None:
    SQLTableDataset(table, {"con": con}).save(frame)
    query = SQLQueryDataset(
        f"SELECT name FROM {table} WHERE id >= :low ORDER BY id",
        {"con": con},
        load_args={"params": {"low": 2}},
    )

    assert_frames_equal(query.load(), pd.DataFrame({"name": ["b", "c"]}))


@pytest.mark.parametrize("where", ["local", "memory"])
def test_a_query_is_read_from_a_file(where: str, tmp_path: Path, frame: pd.DataFrame) -> None:
    con = f"sqlite:///{tmp_path}/warehouse.db"
    SQLTableDataset("companies", {"con": con}).save(frame)
    path = (
        str(tmp_path / "top.sql") if where == "local" else f"memory://q-{uuid.uuid4().hex}/top.sql"
    )
    with fsspec.open(path, "w", encoding="utf-8") as stream:
        stream.write("SELECT id FROM companies WHERE score > 1")
    query = SQLQueryDataset(credentials={"con": con}, filepath=path)

    assert_frames_equal(query.load(), pd.DataFrame({"id": [2]}))
    assert query.describe()["filepath"] == path


def test_a_missing_query_file_is_named(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.sql")
    query = SQLQueryDataset(credentials={"con": "sqlite://"}, filepath=path)

    with pytest.raises(DatasetError, match=r"query file .*missing\.sql' does not exist"):
        query.load()


def test_a_query_dataset_is_read_only() -> None:
    query = SQLQueryDataset("SELECT 1 AS one", {"con": "sqlite://"})

    with pytest.raises(DatasetError, match=r"read-only.*SQLTableDataset"):
        query.save(pd.DataFrame({"one": [1]}))
    assert_frames_equal(query.load(), pd.DataFrame({"one": [1]}))


def test_a_failing_query_names_the_dataset(tmp_path: Path) -> None:
    query = SQLQueryDataset("SELECT * FROM nowhere", {"con": f"sqlite:///{tmp_path}/db.sqlite"})

    with pytest.raises(DatasetError, match=r"Failed to run the query of SQLQueryDataset\(sql="):
        query.load()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a query"),
        ({"sql": "SELECT 1", "filepath": "q.sql"}, "not both"),
        ({"sql": "SELECT 1", "load_args": {"params": [1]}}, "params must be a mapping"),
        ({"sql": "SELECT 1", "load_args": {"chunksize": 10}}, "cannot set 'chunksize'"),
    ],
)
def test_bad_query_arguments_are_explained(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        SQLQueryDataset(credentials={"con": "sqlite://"}, **kwargs)


# -- secrets ----------------------------------------------------------------------------------


def test_the_password_is_masked_in_describe_and_repr() -> None:
    con = "postgresql+psycopg://analyst:s3cr%40t!@db.internal:5432/shop?sslpassword=k3y"
    dataset = SQLTableDataset("t", {"con": con, "connect_args": {"password": "other-pw"}})
    query = SQLQueryDataset("SELECT 1", {"con": con})

    for shown in (repr(dataset), repr(query), str(dataset.describe()), str(query.describe())):
        assert "postgresql+psycopg://analyst:***@db.internal:5432/shop?sslpassword=***" in shown
        for secret in ("s3cr", "k3y", "other-pw"):
            assert secret not in shown


def test_an_unreachable_server_error_reveals_no_password(frame: pd.DataFrame) -> None:
    port = free_port()  # nothing listens there
    con = f"postgresql+psycopg://analyst:hunter2-secret@127.0.0.1:{port}/shop"
    dataset = SQLTableDataset("companies", {"con": con})

    for action in (dataset.exists, dataset.load, lambda: dataset.save(frame)):
        with pytest.raises(DatasetError, match="Cannot connect to the database") as caught:
            action()
        assert "hunter2-secret" not in full_text(caught.value)
        assert f"analyst:***@127.0.0.1:{port}/shop" in str(caught.value)


def test_a_wrong_password_error_reveals_no_password(postgres_server: PostgresServer) -> None:
    wrong = "wrong-" + postgres_server.password
    dataset = SQLQueryDataset("SELECT 1", {"con": postgres_server.url_with(password=wrong)})

    with pytest.raises(DatasetError, match="password authentication failed") as caught:
        dataset.load()
    assert wrong not in full_text(caught.value)
    assert postgres_server.password not in full_text(caught.value)


def test_a_password_given_in_engine_options_connects_and_stays_hidden(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url_with(password=None)
    credentials = {"con": url, "connect_args": {"password": postgres_server.password}}
    query = SQLQueryDataset("SELECT 2 AS two", credentials)

    assert_frames_equal(query.load(), pd.DataFrame({"two": [2]}))
    assert postgres_server.password not in repr(query)


@pytest.mark.parametrize("token", ["tok_abc", "ab"])  # long, and short (masked as a word)
def test_a_secret_quoted_in_a_driver_error_is_scrubbed(token: str, tmp_path: Path) -> None:
    (tmp_path / "query.sql").write_text(f"SELECT * FROM {token}", encoding="utf-8")
    credentials = {
        "con": f"sqlite:///{tmp_path}/db.sqlite",
        "execution_options": {"token": token},
    }
    query = SQLQueryDataset(credentials=credentials, filepath=str(tmp_path / "query.sql"))

    with pytest.raises(DatasetError, match=r"no such table: \*\*\*") as caught:
        query.load()
    as_a_word = re.compile(rf"(?<![A-Za-z0-9]){token}(?![A-Za-z0-9])")
    assert as_a_word.search(full_text(caught.value)) is None


# -- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("postgresql://u:hidden-pw@h/db", "credentials as a mapping with a 'con' entry"),
        ({"url": "postgresql://u:hidden-pw@h/db"}, "the credentials have the keys: 'url'"),
        ({"con": "not a url hidden-pw"}, "'con' entry .* is not a SQLAlchemy URL"),
    ],
)
def test_bad_credentials_are_explained_without_echoing_them(credentials: Any, message: str) -> None:
    with pytest.raises(DatasetError, match=message) as caught:
        SQLTableDataset("companies", credentials)

    assert "SQLTableDataset('companies')" in str(caught.value)
    assert "hidden-pw" not in full_text(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"save_args": {"if_exists": "overwrite"}}, "if_exists must be one of 'replace'"),
        ({"load_args": {"chunksize": 100}}, "load_args cannot set 'chunksize'"),
        ({"save_args": {"name": "other"}}, "save_args cannot set 'name'"),
        (
            {"load_args": {"schema": "a"}, "save_args": {"schema": "b"}},
            "load_args has schema 'a' but save_args has schema 'b'",
        ),
    ],
)
def test_bad_arguments_name_the_table(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetError, match=message) as caught:
        SQLTableDataset("companies", {"con": "sqlite://"}, **kwargs)

    assert "SQLTableDataset('companies')" in str(caught.value)


@pytest.mark.parametrize("table_name", ["", None, 3])
def test_a_table_name_is_required(table_name: Any) -> None:
    with pytest.raises(DatasetError, match="needs a table_name"):
        SQLTableDataset(table_name, {"con": "sqlite://"})


def test_an_unknown_dialect_is_reported_on_first_use() -> None:
    dataset = SQLTableDataset("t", {"con": "nosuchdb://u:pw-123@h/db"})

    with pytest.raises(DatasetError, match=r"Cannot connect.*nosuchdb") as caught:
        dataset.exists()
    assert "pw-123" not in full_text(caught.value)


# -- engines, pickling, fingerprints ----------------------------------------------------------


def test_datasets_on_one_database_share_an_engine(tmp_path: Path, frame: pd.DataFrame) -> None:
    con = f"sqlite:///{tmp_path}/db.sqlite"
    SQLTableDataset("a", {"con": con}).save(frame)
    SQLQueryDataset("SELECT * FROM a", {"con": con}).load()
    assert len(SQLTableDataset.engines) == 1

    SQLTableDataset("a", {"con": con, "pool_size": 2}).exists()
    assert len(SQLTableDataset.engines) == 2

    SQLTableDataset.engines.clear()
    assert len(SQLTableDataset.engines) == 0


def test_a_registry_gives_the_same_engine_for_the_same_options() -> None:
    registry = EngineRegistry()
    first = registry.get("sqlite://", {"echo": False})

    assert registry.get("sqlite://", {"echo": False}) is first
    assert registry.get("sqlite://", {}) is not first
    assert repr(registry) == "EngineRegistry(2 engines)"
    registry.clear()


def _engine_is_new_after_fork(registry: EngineRegistry, url: str, parent_engine_id: int) -> None:
    engine = registry.get(url, {})
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    os._exit(0 if id(engine) != parent_engine_id and len(registry) == 1 else 1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_makes_its_own_engines(tmp_path: Path) -> None:
    registry = EngineRegistry()
    url = f"sqlite:///{tmp_path}/db.sqlite"
    engine = registry.get(url, {})
    with engine.connect() as connection:  # a pooled connection the child must not reuse
        connection.exec_driver_sql("SELECT 1")
    child = multiprocessing.get_context("fork").Process(
        target=_engine_is_new_after_fork, args=(registry, url, id(engine))
    )
    child.start()
    child.join()

    assert child.exitcode == 0
    assert registry.get(url, {}) is engine  # the parent keeps its own
    registry.clear()


def test_a_duckdb_file_is_free_for_other_processes_between_operations(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    path = tmp_path / "warehouse.duckdb"
    dataset = SQLTableDataset("companies", {"con": f"duckdb:///{path}"})
    dataset.save(frame)
    other_process = (
        "import duckdb, sys\n"
        "rows = duckdb.connect(sys.argv[1]).execute('SELECT count(*) FROM companies').fetchall()\n"
        "print(rows[0][0])\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", other_process, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout.strip()) == (0, "3"), result.stderr
    assert dataset.exists() is True


def test_a_pickled_dataset_carries_no_engine(tmp_path: Path, frame: pd.DataFrame) -> None:
    dataset = SQLTableDataset("t", {"con": f"sqlite:///{tmp_path}/db.sqlite"})
    dataset.save(frame)

    assert b"Engine" not in pickle.dumps(dataset)


def test_sql_datasets_have_no_fingerprint(tmp_path: Path, frame: pd.DataFrame) -> None:
    dataset = SQLTableDataset("t", {"con": f"sqlite:///{tmp_path}/db.sqlite"})
    dataset.save(frame)

    assert dataset.fingerprint() is None
    assert SQLQueryDataset("SELECT 1", {"con": "sqlite://"}).fingerprint() is None
