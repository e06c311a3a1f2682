"""Removing old runs from the journal, without forgetting what later runs rely on.

Every run adds a record per node and per dataset it read or wrote (about 350 bytes a node),
so a journal grows with its history. `prune` removes the runs a user no longer wants to
look back on: those beyond the newest ``keep``, or started before ``before``, or both.

A selected run is kept anyway while something still relies on it:

- it is still running (a crashed run, whose process is gone, is not: see ``_liveness``);
- it is the newest run of its pipeline (what ``--resume`` picks by default);
- it holds the last successful execution of a node, which incremental runs compare with to
  skip that node;
- it holds the latest commit of a partition, which a rerun of a partitionwise node reuses.

Removing a run removes its node records, their dataset records, its committed partitions,
and the code fingerprint components no remaining record refers to; the lineage of what it
produced goes with it. It all happens in one transaction. SQLite reuses the freed pages;
``vacuum=True`` also shrinks the file (which rewrites it whole).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from datamill.journal._codec import to_timestamp
from datamill.journal._queries import run_status
from datamill.journal._records import utc_now

__all__ = ["PruneReport", "prune"]


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What `Journal.prune` removed (or, in a dry run, would remove).

    Attributes:
        runs: The ids of the runs removed, oldest first.
        kept: The ids of the runs selected by age or count but kept because later runs
            rely on them (see the module documentation), oldest first.
        nodes: How many node records were removed with them.
        dry_run: Whether nothing was actually removed.
    """

    runs: tuple[str, ...]
    kept: tuple[str, ...]
    nodes: int
    dry_run: bool


_RELIED_ON = """
    SELECT run_id FROM runs AS r
        WHERE NOT EXISTS (
            SELECT 1 FROM runs AS later WHERE later.pipeline = r.pipeline
            AND (later.started, later.run_id) > (r.started, r.run_id)
        )
    UNION
    SELECT n.run_id FROM last_success AS s JOIN nodes AS n ON n.id = s.node_id
    UNION
    SELECT run_id FROM partitions WHERE id IN (
        SELECT max(id) FROM partitions GROUP BY node_name, dataset, partition_id
    )
"""
"""Runs that later runs rely on, but for the runs still running (see `prune`)."""

_DELETES = (
    "DELETE FROM datasets WHERE node_id IN "
    "(SELECT id FROM nodes WHERE run_id IN (SELECT run_id FROM temp.doomed))",
    "DELETE FROM nodes WHERE run_id IN (SELECT run_id FROM temp.doomed)",
    "DELETE FROM partitions WHERE run_id IN (SELECT run_id FROM temp.doomed)",
    "DELETE FROM runs WHERE run_id IN (SELECT run_id FROM temp.doomed)",
    "DELETE FROM code WHERE fingerprint NOT IN "
    "(SELECT code_fingerprint FROM nodes WHERE code_fingerprint IS NOT NULL)",
)


def prune(
    connection: sqlite3.Connection,
    *,
    keep: int | None,
    before: datetime | None,
    dry_run: bool,
    stale_after: timedelta | None,
) -> PruneReport:
    """Remove the selected runs that nothing relies on, in the caller's write transaction.

    Args:
        connection: An open connection, inside ``BEGIN IMMEDIATE``.
        keep: Select only runs beyond the newest ``keep`` (by start time).
        before: Select only runs started before this time.
        dry_run: Report what would be removed and remove nothing.
        stale_after: The journal's staleness, to tell running runs of other hosts from
            crashed ones (see `_liveness`).

    Both ``keep`` and ``before`` narrow the selection: with both, a run is selected when it
    is beyond the newest ``keep`` *and* started before ``before``.
    """
    conditions = []
    args: list[object] = []
    if keep is not None:
        conditions.append(
            "run_id NOT IN (SELECT run_id FROM runs ORDER BY started DESC, run_id DESC LIMIT ?)"
        )
        args.append(keep)
    if before is not None:
        conditions.append("started < ?")
        args.append(to_timestamp(before))
    where = " AND ".join(conditions) or "1"
    selected = [
        (row[0], bool(row[1]))
        for row in connection.execute(
            f"SELECT run_id, run_id IN ({_RELIED_ON}) FROM runs WHERE {where} "
            "ORDER BY started, run_id",
            args,
        )
    ]
    running = _still_running(connection, stale_after)
    needed = {run_id for run_id, relied_on in selected if relied_on or run_id in running}
    doomed = tuple(run_id for run_id, _ in selected if run_id not in needed)
    kept = tuple(run_id for run_id, _ in selected if run_id in needed)
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (run_id TEXT PRIMARY KEY)")
    connection.execute("DELETE FROM temp.doomed")
    connection.executemany("INSERT INTO temp.doomed VALUES (?)", [(run_id,) for run_id in doomed])
    nodes = connection.execute(
        "SELECT count(*) FROM nodes WHERE run_id IN (SELECT run_id FROM temp.doomed)"
    ).fetchone()[0]
    if not dry_run and doomed:
        for statement in _DELETES:
            connection.execute(statement)
    connection.execute("DELETE FROM temp.doomed")
    return PruneReport(runs=doomed, kept=kept, nodes=int(nodes), dry_run=dry_run)


def _still_running(connection: sqlite3.Connection, stale_after: timedelta | None) -> set[str]:
    """The runs recorded as running whose process is alive (or cannot be checked)."""
    now = utc_now()
    rows = connection.execute("SELECT * FROM runs WHERE status = 'running'")
    return {row["run_id"] for row in rows if run_status(row, stale_after, now) == "running"}
