"""The queries behind the journal's read methods, and how rows become records.

Every function takes an open connection whose rows are `sqlite3.Row`; the `Journal` holds
the lock and the read transaction around them, so that one call sees one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection, Generator, Iterator, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

from datamill._text import did_you_mean, quoted
from datamill.errors import JournalError
from datamill.journal._codec import from_timestamp, loads, optional_datetime
from datamill.journal._liveness import derive_status
from datamill.journal._records import (
    DatasetRecord,
    NodeRecord,
    NodeStatus,
    PartitionCount,
    PartitionRecord,
    Producer,
    RunDetail,
    RunStatus,
    RunSummary,
)

__all__ = [
    "committed_partitions",
    "dataset_names",
    "iter_runs",
    "last_success",
    "node_statuses",
    "producers",
    "resolve_run_id",
    "resumed_runs",
    "run_detail",
    "run_nodes",
    "run_status",
    "summaries",
    "unknown_run",
]

LATEST: Final = "latest"
"""The run reference that means the most recently started run."""

_NEWEST_FIRST: Final = " ORDER BY started DESC, run_id DESC"
_CHUNK: Final = 500  # values per IN (...) list, well under SQLite's variable limit


def _chunks(values: Sequence[Any]) -> Iterator[tuple[Sequence[Any], str]]:
    """``values`` in slices short enough for one ``IN (...)``, each with its ``?, ?, ...``."""
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        yield chunk, ", ".join("?" * len(chunk))


# -- runs ------------------------------------------------------------------------------------


def resolve_run_id(connection: sqlite3.Connection, ref: str, path: Path) -> str:
    """The id of the run ``ref`` names: an id, a unique prefix or suffix of one, or ``"latest"``.

    Raises:
        JournalError: If no run matches (with the closest ids), or several do.
    """
    if ref == LATEST:
        return _latest_id(connection, path)
    if ref and connection.execute("SELECT 1 FROM runs WHERE run_id = ?", (ref,)).fetchone():
        return ref
    rows = connection.execute(
        "SELECT run_id FROM runs WHERE run_id > ? ORDER BY run_id LIMIT 6", (ref,)
    ).fetchall()
    matches = [str(row[0]) for row in rows if str(row[0]).startswith(ref)]
    part = "prefix"
    if ref and not matches:
        matches, part = _suffix_matches(connection, ref), "suffix"
    if ref and len(matches) == 1:
        return matches[0]
    if ref and matches:
        shown = quoted(matches[:5]) + (" and more" if len(matches) > 5 else "")
        raise JournalError(
            f"Run id {part} {ref!r} matches several runs ({shown}). Give more characters "
            "of the id.",
            path=str(path),
            run_id=ref,
        )
    raise unknown_run(connection, ref, path)


def _suffix_matches(connection: sqlite3.Connection, ref: str) -> list[str]:
    """Up to six run ids that end with ``ref``, newest first.

    An id's random tail (``3fa2c1``) is the part people copy: unlike a prefix, which is the
    start time, a few characters of it tell runs apart.
    """
    pattern = "%" + ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = connection.execute(
        f"SELECT run_id FROM runs WHERE run_id LIKE ? ESCAPE '\\'{_NEWEST_FIRST} LIMIT 6",
        (pattern,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def _latest_id(connection: sqlite3.Connection, path: Path) -> str:
    row = connection.execute(f"SELECT run_id FROM runs{_NEWEST_FIRST} LIMIT 1").fetchone()
    if row is None:
        raise JournalError(
            f"The journal {path} records no run yet, so there is no latest run. "
            "Run a pipeline first.",
            path=str(path),
            run_id=LATEST,
        )
    return str(row[0])


def unknown_run(connection: sqlite3.Connection, ref: str, path: Path) -> JournalError:
    recent = connection.execute(f"SELECT run_id FROM runs{_NEWEST_FIRST} LIMIT 1000").fetchall()
    hint = did_you_mean(ref, [str(row[0]) for row in recent])
    return JournalError(
        f"Run {ref!r} is not in the journal {path}.{hint} Give a recorded run id, a unique "
        f"prefix or suffix of one, or {LATEST!r}; list the recorded runs to find it.",
        path=str(path),
        run_id=ref,
    )


def iter_runs(
    connection: sqlite3.Connection,
    *,
    statuses: Collection[RunStatus] | None,
    pipeline: str | None,
    stale_after: timedelta | None,
    now: datetime,
    skip_resumed: bool = False,
) -> Generator[tuple[sqlite3.Row, RunStatus], None, None]:
    """Each run row with its derived status, newest first, filtered by status and pipeline.

    With ``skip_resumed``, runs that a later run resumed successfully are left out.
    """
    clauses: list[str] = []
    args: list[Any] = []
    if skip_resumed:
        clauses.append(
            "run_id NOT IN (SELECT resumes FROM runs WHERE resumes IS NOT NULL "
            "AND status = 'succeeded')"
        )
    if pipeline is not None:
        clauses.append("pipeline = ?")
        args.append(pipeline)
    if statuses is not None:
        stored = sorted({"running" if s == "crashed" else s for s in statuses})
        clauses.append(f"status IN ({', '.join('?' * len(stored))})")
        args.extend(stored)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    for row in connection.execute(f"SELECT * FROM runs{where}{_NEWEST_FIRST}", args):
        status = run_status(row, stale_after, now)
        if statuses is None or status in statuses:
            yield row, status


def summaries(
    connection: sqlite3.Connection, runs: Sequence[tuple[sqlite3.Row, RunStatus]]
) -> list[RunSummary]:
    """A `RunSummary` for each ``(row, status)``, with its node counts."""
    counts = _node_counts(connection, [str(row["run_id"]) for row, _ in runs])
    return [_summary(row, status, counts[str(row["run_id"])]) for row, status in runs]


def resumed_runs(connection: sqlite3.Connection, run_id: str) -> list[str]:
    """The run ``run_id`` resumes, the run that one resumes, and so on, nearest first."""
    rows = connection.execute(
        """
        WITH RECURSIVE chain (run_id, depth) AS (
            SELECT resumes, 1 FROM runs WHERE run_id = ? AND resumes IS NOT NULL
            UNION
            SELECT runs.resumes, chain.depth + 1 FROM runs JOIN chain USING (run_id)
            WHERE runs.resumes IS NOT NULL
        )
        SELECT run_id FROM chain ORDER BY depth
        """,
        (run_id,),
    ).fetchall()
    return list(dict.fromkeys(str(row[0]) for row in rows))


def run_detail(
    connection: sqlite3.Connection,
    run_id: str,
    stale_after: timedelta | None,
    now: datetime,
    *,
    nodes: bool = True,
) -> RunDetail:
    """Everything recorded about run ``run_id`` (which must exist), its node records only
    with ``nodes``."""
    row = connection.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    summary = _summary(
        row, run_status(row, stale_after, now), _node_counts(connection, [run_id])[run_id]
    )
    return RunDetail(
        **{f.name: getattr(summary, f.name) for f in fields(RunSummary)},
        command=tuple(loads(row["command"])),
        options=loads(row["options"]),
        parameters=loads(row["parameters"]),
        executor=row["executor"],
        pid=row["pid"],
        host=row["host"],
        last_seen=from_timestamp(row["last_seen"]),
        nodes=run_nodes(connection, run_id) if nodes else (),
        resumed_by={
            str(later["run_id"]): run_status(later, stale_after, now)
            for later in connection.execute(
                "SELECT * FROM runs WHERE resumes = ? ORDER BY started, run_id", (run_id,)
            )
        },
        partitions=tuple(
            PartitionCount(str(node), str(dataset), int(count))
            for node, dataset, count in connection.execute(
                "SELECT node_name, dataset, count(*) FROM partitions WHERE run_id = ? "
                "GROUP BY node_name, dataset ORDER BY min(id)",
                (run_id,),
            )
        ),
    )


def run_status(row: sqlite3.Row, stale_after: timedelta | None, now: datetime) -> RunStatus:
    """The status to report for a ``runs`` row (``crashed`` when its process is gone)."""
    return derive_status(
        row["status"],
        pid=row["pid"],
        host=row["host"],
        token=row["process_token"],
        last_seen=from_timestamp(row["last_seen"]),
        now=now,
        stale_after=stale_after,
    )


def _summary(row: sqlite3.Row, status: RunStatus, counts: dict[str, int]) -> RunSummary:
    return RunSummary(
        run_id=row["run_id"],
        pipeline=row["pipeline"],
        status=status,
        started=from_timestamp(row["started"]),
        ended=optional_datetime(row["ended"]),
        env=row["env"],
        error=row["error"],
        git_commit=row["git_commit"],
        git_dirty=None if row["git_dirty"] is None else bool(row["git_dirty"]),
        nodes_ran=counts.get("ran", 0),
        nodes_skipped=counts.get("skipped", 0),
        nodes_failed=counts.get("failed", 0),
        nodes_interrupted=counts.get("interrupted", 0),
        nodes_not_reached=counts.get("not_reached", 0),
        resumes=row["resumes"],
    )


def _node_counts(
    connection: sqlite3.Connection, run_ids: Sequence[str]
) -> defaultdict[str, dict[str, int]]:
    counts: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for chunk, marks in _chunks(run_ids):
        rows = connection.execute(
            "SELECT run_id, status, count(*) FROM nodes "
            f"WHERE run_id IN ({marks}) GROUP BY run_id, status",
            chunk,
        )
        for run_id, status, count in rows:
            counts[run_id][status] = count
    return counts


# -- nodes -----------------------------------------------------------------------------------


_NODES: Final = (
    "SELECT n.*, c.components AS code_components FROM nodes n "
    "LEFT JOIN code c ON c.fingerprint = n.code_fingerprint"
)
"""Node records with their code fingerprint's components (add a WHERE clause on ``n``)."""


def run_nodes(connection: sqlite3.Connection, run_id: str) -> tuple[NodeRecord, ...]:
    """The node records of run ``run_id``, in the order they were recorded."""
    rows = connection.execute(f"{_NODES} WHERE n.run_id = ? ORDER BY n.id", (run_id,))
    nodes = rows.fetchall()
    datasets = _datasets_by_node(
        connection,
        "SELECT d.* FROM datasets d JOIN nodes n ON n.id = d.node_id "
        "WHERE n.run_id = ? ORDER BY d.id",
        (run_id,),
    )
    return tuple(_node(row, datasets.get(row["id"], [])) for row in nodes)


def node_statuses(connection: sqlite3.Connection, run_id: str) -> dict[str, NodeStatus]:
    """The status of each node of run ``run_id``, by node name, in recording order."""
    rows = connection.execute(
        "SELECT node_name, status FROM nodes WHERE run_id = ? ORDER BY id", (run_id,)
    )
    return {str(name): cast("NodeStatus", status) for name, status in rows}


def last_success(
    connection: sqlite3.Connection, node_name: str, pipeline: str | None
) -> NodeRecord | None:
    """The most recent record of ``node_name`` with status ``ran``, if there is one."""
    found = "SELECT node_id FROM last_success WHERE node_name = ?"
    args: tuple[str, ...] = (node_name,)
    if pipeline is not None:
        found += " AND pipeline = ?"
        args = (node_name, pipeline)
    sql = f"{_NODES} WHERE n.id = ({found} ORDER BY ended DESC, node_id DESC LIMIT 1)"
    row = connection.execute(sql, args).fetchone()
    if row is None:
        return None
    datasets = _datasets_by_node(
        connection, "SELECT * FROM datasets WHERE node_id = ? ORDER BY id", (row["id"],)
    )
    return _node(row, datasets.get(row["id"], []))


def last_successes(
    connection: sqlite3.Connection, node_names: Sequence[str]
) -> dict[str, NodeRecord]:
    """`last_success` of each of ``node_names`` in any pipeline, for those that have one.

    A few queries for any number of nodes, where `last_success` makes two per node.
    """
    latest: dict[str, tuple[str, int]] = {}
    for chunk, marks in _chunks(node_names):
        rows = connection.execute(
            f"SELECT node_name, ended, node_id FROM last_success WHERE node_name IN ({marks})",
            chunk,
        )
        for name, ended, node_id in rows:  # one row per pipeline that ran the node
            if name not in latest or (ended, node_id) > latest[name]:
                latest[name] = (ended, node_id)
    ids = sorted(node_id for _, node_id in latest.values())
    found: dict[str, NodeRecord] = {}
    for id_chunk, id_marks in _chunks(ids):
        datasets = _datasets_by_node(
            connection,
            f"SELECT * FROM datasets WHERE node_id IN ({id_marks}) ORDER BY id",
            id_chunk,
        )
        for row in connection.execute(f"{_NODES} WHERE n.id IN ({id_marks})", id_chunk):
            found[row["node_name"]] = _node(row, datasets.get(row["id"], []))
    return found


def _node(row: sqlite3.Row, datasets: Sequence[DatasetRecord]) -> NodeRecord:
    return NodeRecord(
        node_name=row["node_name"],
        status=row["status"],
        reason=row["reason"],
        started=optional_datetime(row["started"]),
        ended=optional_datetime(row["ended"]),
        duration=row["duration"],
        peak_memory=row["peak_memory"],
        attempts=row["attempts"],
        code_fingerprint=row["code_fingerprint"],
        code_components=loads(row["code_components"] or "{}"),
        params_fingerprint=row["params_fingerprint"],
        params_components=loads(row["params_components"]),
        input_fingerprints=loads(row["input_fingerprints"]),
        catalog=loads(row["catalog"] or "{}"),
        datasets=tuple(datasets),
        error=row["error"],
        run_id=row["run_id"],
    )


def _datasets_by_node(
    connection: sqlite3.Connection, sql: str, args: Sequence[Any]
) -> dict[int, list[DatasetRecord]]:
    found: dict[int, list[DatasetRecord]] = defaultdict(list)
    for row in connection.execute(sql, args):
        found[row["node_id"]].append(_dataset(row))
    return found


def _dataset(row: sqlite3.Row) -> DatasetRecord:
    persisted = row["persisted"]
    return DatasetRecord(
        name=row["dataset"],
        role=row["role"],
        version=row["version"],
        fingerprint=row["fingerprint"],
        persisted=None if persisted is None else bool(persisted),
    )


# -- partitions and lineage ------------------------------------------------------------------


def committed_partitions(
    connection: sqlite3.Connection, node_name: str, dataset: str, run_id: str | None
) -> dict[str, PartitionRecord]:
    """The latest commit of each partition of ``dataset`` by ``node_name``, by partition id."""
    sql = (
        # SQLite takes the bare columns of an aggregate query with max() from the max row
        "SELECT max(id), run_id, partition_id, key, fingerprint, committed FROM partitions "
        "WHERE node_name = ? AND dataset = ?"
    )
    args: tuple[str, ...] = (node_name, dataset)
    if run_id is not None:
        sql += " AND run_id = ?"
        args = (node_name, dataset, run_id)
    rows = connection.execute(f"{sql} GROUP BY partition_id ORDER BY partition_id", args)
    return {
        row["partition_id"]: PartitionRecord(
            run_id=row["run_id"],
            node_name=node_name,
            dataset=dataset,
            partition_id=row["partition_id"],
            key=row["key"],
            fingerprint=row["fingerprint"],
            committed=from_timestamp(row["committed"]),
        )
        for row in rows
    }


def dataset_names(connection: sqlite3.Connection) -> list[str]:
    """Every dataset name any recorded node loaded or saved, sorted."""
    rows = connection.execute("SELECT DISTINCT dataset FROM datasets ORDER BY dataset")
    return [str(row[0]) for row in rows]


def producers(
    connection: sqlite3.Connection,
    dataset: str,
    *,
    version: str | None,
    fingerprint: str | None,
    limit: int | None,
) -> list[Producer]:
    """The node executions that saved ``dataset``, most recent first."""
    sql = (
        "SELECT d.node_id, d.dataset, d.role, d.version, d.fingerprint, d.persisted, "
        "n.run_id, n.node_name, n.status, n.ended, n.input_fingerprints, r.pipeline "
        "FROM datasets d JOIN nodes n ON n.id = d.node_id JOIN runs r ON r.run_id = n.run_id "
        "WHERE d.dataset = ? AND d.role = 'save'"
    )
    args: list[Any] = [dataset]
    for column, value in (("version", version), ("fingerprint", fingerprint)):
        if value is not None:
            sql += f" AND d.{column} = ?"
            args.append(value)
    sql += " ORDER BY d.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    rows = connection.execute(sql, args).fetchall()
    loads_by_node = _loads_of(connection, [row["node_id"] for row in rows])
    return [_producer(row, loads_by_node.get(row["node_id"], [])) for row in rows]


def _loads_of(
    connection: sqlite3.Connection, node_ids: Sequence[int]
) -> dict[int, list[DatasetRecord]]:
    found: dict[int, list[DatasetRecord]] = {}
    for chunk, marks in _chunks(node_ids):
        found.update(
            _datasets_by_node(
                connection,
                f"SELECT * FROM datasets WHERE node_id IN ({marks}) AND role = 'load' ORDER BY id",
                chunk,
            )
        )
    return found


def _producer(row: sqlite3.Row, node_loads: Sequence[DatasetRecord]) -> Producer:
    return Producer(
        run_id=row["run_id"],
        pipeline=row["pipeline"],
        node_name=row["node_name"],
        node_status=row["status"],
        output=_dataset(row),
        ended=optional_datetime(row["ended"]),
        inputs=_inputs(node_loads, loads(row["input_fingerprints"])),
    )


def _inputs(
    node_loads: Sequence[DatasetRecord], fingerprints: dict[str, str | None]
) -> tuple[DatasetRecord, ...]:
    """The node's loads, completed by the inputs it fingerprinted without a load record."""
    inputs = {record.name: record for record in node_loads}
    for name, fingerprint in fingerprints.items():
        known = inputs.get(name)
        if known is None:
            inputs[name] = DatasetRecord(name, "load", fingerprint=fingerprint)
        elif known.fingerprint is None and fingerprint is not None:
            inputs[name] = DatasetRecord(name, "load", known.version, fingerprint)
    return tuple(inputs.values())
