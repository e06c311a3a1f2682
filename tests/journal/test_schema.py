"""Opening journal files: creation, schema versions and upgrades, files that are not journals."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from datamill.errors import JournalError
from datamill.journal import SCHEMA_VERSION, DatasetRecord, Journal, NodeRecord, PartitionCount
from datamill.journal import _connection as connection_module
from datamill.journal._schema import MIGRATIONS
from tests.journal.conftest import ran, start


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])


def test_opening_creates_the_folders_and_a_current_wal_journal(path: Path) -> None:
    assert not path.parent.exists()

    Journal(path).close()

    assert user_version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = [row[0] for row in raw.execute("SELECT version FROM schema_version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_an_empty_file_becomes_a_journal(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch()

    with Journal(path) as journal:
        start(journal, "r1")
        assert journal.run("r1").run_id == "r1"


def test_a_journal_from_a_newer_datamill_is_refused_untouched(path: Path) -> None:
    Journal(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(JournalError, match="written by a newer datamill") as caught:
        Journal(path)

    assert f"schema version {SCHEMA_VERSION + 1}" in str(caught.value)
    assert "Upgrade datamill" in str(caught.value)
    assert caught.value.path == str(path)
    assert user_version(path) == SCHEMA_VERSION + 1


def test_an_older_journal_is_upgraded_step_by_step_and_keeps_its_runs(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Journal(path) as journal:
        start(journal, "r1")
        journal.record_node("r1", ran("n1"))
    step = ("ALTER TABLE runs ADD COLUMN note TEXT", "UPDATE runs SET note = 'migrated'")
    monkeypatch.setattr(connection_module, "MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr(connection_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    with Journal(path) as journal:
        assert [n.node_name for n in journal.nodes("r1")] == ["n1"]

    assert user_version(path) == SCHEMA_VERSION + 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT note FROM runs").fetchall() == [("migrated",)]
        versions = [row[0] for row in raw.execute("SELECT version FROM schema_version")]
    assert versions == list(range(1, SCHEMA_VERSION + 2))


def test_a_failing_upgrade_leaves_the_journal_as_it_was(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(path).close()
    step = ("ALTER TABLE runs ADD COLUMN note TEXT", "THIS IS NOT SQL")
    monkeypatch.setattr(connection_module, "MIGRATIONS", (*MIGRATIONS, step))
    monkeypatch.setattr(connection_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)

    with pytest.raises(JournalError, match="syntax error"):
        Journal(path)

    assert user_version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(runs)")]
    assert "note" not in columns


@pytest.mark.parametrize(
    "content",
    [b"run_id,status\nr1,failed\n" * 50, b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["text", "damaged-header"],
)
def test_a_file_that_is_not_a_database_names_the_path_and_says_to_move_it(
    path: Path, content: bytes
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    with pytest.raises(JournalError) as caught:
        Journal(path)

    message = str(caught.value)
    assert f"{path} is not a readable datamill journal" in message
    assert "Move the file away (for example to journal.db.broken)" in message
    assert caught.value.path == str(path)
    assert path.read_bytes() == content


def test_another_programs_database_is_not_taken_over(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE customers (id INTEGER)")

    with pytest.raises(JournalError, match="not a datamill journal: it holds the tables customers"):
        Journal(path)

    with sqlite3.connect(path) as raw:
        tables = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("customers",)]


def test_a_folder_in_place_of_the_file_is_reported(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(JournalError) as caught:
        Journal(path)
    assert str(caught.value) == (
        f"The journal path {path} is a folder; the journal is a file. Choose a file path "
        f"(for example {path / 'journal.db'}), or move the folder away."
    )
    assert caught.value.path == str(path)


def test_a_file_in_place_of_the_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".datamill").write_text("not a folder")
    with pytest.raises(JournalError, match="Cannot create the folder of the journal"):
        Journal(tmp_path / ".datamill" / "journal.db")


def query_plans(journal: Journal, call: object) -> list[str]:
    """The query plan of every SELECT that ``call()`` makes on ``journal``'s connection."""
    statements: list[str] = []
    raw = journal._connection
    assert raw is not None
    raw.set_trace_callback(statements.append)
    try:
        call()  # type: ignore[operator]
    finally:
        raw.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            rows = raw.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))
    return plans


def test_finding_the_last_success_of_a_node_reads_its_rows_by_key(journal: Journal) -> None:
    start(journal, "r1")
    journal.record_node("r1", ran("n1", saves={"d": None}))

    plans = query_plans(journal, lambda: journal.last_success("n1"))

    node_plan = plans[0]
    assert "SEARCH last_success USING PRIMARY KEY (node_name=?)" in node_plan
    assert "SEARCH n USING INTEGER PRIMARY KEY" in node_plan
    assert all("SCAN" not in plan.replace("SCAN CONSTANT", "") for plan in plans)


def test_the_last_success_table_keeps_one_row_per_node_and_pipeline(journal: Journal) -> None:
    for index in range(5):
        start(journal, f"r{index}", second=10 * index, pipeline="etl" if index % 2 else "ml")
        journal.record_nodes(f"r{index}", [ran(name, second=10 * index + 1) for name in ("a", "b")])
        journal.finish_run(f"r{index}", "succeeded")

    with closing(sqlite3.connect(journal.path)) as raw:
        rows = raw.execute(
            "SELECT node_name, pipeline, node_id FROM last_success ORDER BY node_name, pipeline"
        ).fetchall()
    assert rows == [("a", "etl", 7), ("a", "ml", 9), ("b", "etl", 8), ("b", "ml", 10)]


def test_a_version_2_journal_finds_its_last_successes_after_the_upgrade(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
            raw.execute(statement)
        raw.execute("PRAGMA user_version = 2")
        for run_id, pipeline in (("r1", "etl"), ("r2", "ml"), ("r3", "etl")):
            raw.execute(
                "INSERT INTO runs (run_id, pipeline, status, started, last_seen, command, "
                "options, parameters, pid, host) VALUES (?, ?, 'succeeded', "
                "'2025-11-22T10:15:00.000000+00:00', '2025-11-22T10:15:00.000000+00:00', "
                "'[]', '{}', '{}', 1, 'host')",
                (run_id, pipeline),
            )
        for node_id, run_id, name, status, ended in (
            (1, "r1", "a", "ran", "2025-11-22T10:15:05.000000+00:00"),
            (2, "r3", "a", "ran", "2025-11-22T10:15:01.000000+00:00"),  # ended earlier
            (3, "r2", "a", "ran", "2025-11-22T10:15:09.000000+00:00"),
            (4, "r3", "b", "failed", "2025-11-22T10:15:09.000000+00:00"),
            (5, "r1", "c", "ran", None),
        ):
            raw.execute(
                "INSERT INTO nodes (id, run_id, node_name, status, reason, ended, attempts, "
                "params_components, input_fingerprints) "
                "VALUES (?, ?, ?, ?, 'forced', ?, 1, '{}', '{}')",
                (node_id, run_id, name, status, ended),
            )

    with Journal(path) as journal:
        found = {
            (name, pipeline): journal.last_success(name, pipeline)
            for name in ("a", "b", "c")
            for pipeline in ("etl", "ml", None)
        }

    assert all(record.catalog == {} for record in found.values() if record is not None)
    assert {key: record.run_id for key, record in found.items() if record is not None} == {
        ("a", "etl"): "r1",
        ("a", "ml"): "r2",
        ("a", None): "r2",
        ("c", "etl"): "r1",
        ("c", None): "r1",
    }
    with closing(sqlite3.connect(path)) as raw:
        indexes = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert "nodes_last_success" not in indexes


def test_listing_runs_and_finding_producers_use_indexes(journal: Journal) -> None:
    start(journal, "r1")
    journal.record_node("r1", ran("n1", saves={"d": "v1"}))

    plans = query_plans(journal, lambda: journal.runs(pipeline="__default__"))
    plans += query_plans(journal, lambda: journal.producers("d", "v1"))
    plans += query_plans(journal, lambda: journal.committed_partitions("n1", "d"))

    assert "USING INDEX runs_by_pipeline" in plans[0]
    assert "TEMP B-TREE" not in plans[0]
    assert any("USING INDEX datasets_saved" in plan for plan in plans)
    assert any("USING INDEX partitions_by_id" in plan for plan in plans)


def test_a_version_1_journal_keeps_its_code_components_after_the_upgrade(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO schema_version VALUES (1, '2025-11-22T10:15:00.000000+00:00')")
        raw.execute("PRAGMA user_version = 1")
        raw.execute(
            "INSERT INTO runs VALUES ('r1', '__default__', 'succeeded', "
            "'2025-11-22T10:15:00.000000+00:00', '2025-11-22T10:16:00.000000+00:00', "
            "'2025-11-22T10:16:00.000000+00:00', '[]', '{}', NULL, NULL, NULL, '{}', "
            "'sequential', 1, 'host', NULL, NULL)"
        )
        for node_id, name in enumerate(("a", "b"), start=1):
            raw.execute(
                "INSERT INTO nodes (id, run_id, node_name, status, reason, attempts, "
                "code_fingerprint, code_components, params_components, input_fingerprints) "
                "VALUES (?, 'r1', ?, 'ran', 'forced', 1, 'c1', ?, '{}', '{}')",
                (node_id, name, json.dumps({"mod.f": "d1", "mod.helper": "d2"})),
            )

    with Journal(path) as journal:
        nodes = journal.nodes("r1")

    assert [dict(n.code_components) for n in nodes] == [{"mod.f": "d1", "mod.helper": "d2"}] * 2
    assert user_version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(nodes)")]
        assert "code_components" not in columns
        assert raw.execute("SELECT fingerprint FROM code").fetchall() == [("c1",)]


def test_nodes_sharing_code_store_its_components_once(journal: Journal) -> None:
    start(journal, "r1")
    components = {"mod.f": "d1", "mod.helper": "d2"}
    journal.record_nodes("r1", [ran(name, code_components=components) for name in ("a", "b", "c")])
    start(journal, "r2", second=10)
    journal.record_node("r2", ran("a", second=11, code_components=components))

    with sqlite3.connect(journal.path) as raw:
        assert raw.execute("SELECT fingerprint, components FROM code").fetchall() == [
            ("c1", json.dumps(components, separators=(",", ":")))
        ]
    assert [dict(n.code_components) for n in journal.nodes("r1")] == [components] * 3
    last = journal.last_success("a")
    assert last is not None
    assert last.code_components == components


def test_a_version_4_journal_keeps_its_records_and_can_record_interrupted_nodes(
    path: Path,
) -> None:
    path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        for statement in (stmt for step in MIGRATIONS[:4] for stmt in step):
            raw.execute(statement)
        raw.execute("PRAGMA user_version = 4")
        raw.execute(
            "INSERT INTO runs (run_id, pipeline, status, started, last_seen, command, "
            "options, parameters, pid, host) VALUES ('r1', '__default__', 'succeeded', "
            "'2025-11-22T10:15:00.000000+00:00', '2025-11-22T10:15:00.000000+00:00', "
            "'[]', '{}', '{}', 1, 'host')"
        )
        raw.execute(
            "INSERT INTO nodes (id, run_id, node_name, status, reason, ended, attempts, "
            "params_components, input_fingerprints, catalog) VALUES (7, 'r1', 'a', 'ran', "
            "'forced', '2025-11-22T10:15:01.000000+00:00', 1, '{}', '{}', "
            """'{"d":{"type":"t1"}}')"""
        )
        raw.execute(
            "INSERT INTO datasets (node_id, dataset, role, version, fingerprint, persisted) "
            "VALUES (7, 'd', 'save', 'v1', 'f1', 1)"
        )
        raw.execute(
            "INSERT INTO last_success VALUES ('a', '__default__', "
            "'2025-11-22T10:15:01.000000+00:00', 7)"
        )
        raw.execute(
            "INSERT INTO partitions (run_id, node_name, dataset, partition_id, committed) "
            "VALUES ('r1', 'a', 'd', 'p0', '2025-11-22T10:15:01.000000+00:00')"
        )

    with Journal(path) as journal:
        last = journal.last_success("a")
        detail = journal.run("r1")
        start(journal, "r2", second=10)
        journal.record_node("r2", NodeRecord("a", "interrupted", "forced", attempts=1))
        journal.finish_run("r2", "interrupted")
        interrupted = journal.run("r2")

    assert last is not None
    assert (last.run_id, last.catalog, last.saves) == (
        "r1",
        {"d": {"type": "t1"}},
        (DatasetRecord("d", "save", "v1", "f1", True),),
    )
    assert detail.partitions == (PartitionCount("a", "d", 1),)
    assert [(n.node_name, n.status) for n in interrupted.nodes] == [("a", "interrupted")]
    assert interrupted.nodes_interrupted == 1
    assert user_version(path) == SCHEMA_VERSION == 5
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_a_runs_partitions_are_counted_through_an_index(journal: Journal) -> None:
    start(journal, "r1")
    journal.record_partition("r1", "n1", "d", "p0", key=None)

    plans = query_plans(journal, lambda: journal.run("r1"))

    [count] = [plan for plan in plans if "partitions" in plan]
    assert "USING INDEX partitions_by_run (run_id=?)" in count
