"""`Journal`: the run journal's Python API, over one SQLite connection.

Each write is one ``BEGIN IMMEDIATE`` transaction (a node record and its datasets commit
together or not at all); each read is one deferred transaction, so that it sees one
snapshot even while other processes write. One lock serialises the object's use of its
connection, so the scheduler thread and worker threads may share a `Journal`; separate
processes each open their own.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from datamill.errors import JournalError
from datamill.journal import _queries as queries
from datamill.journal._codec import dumps, optional_timestamp, to_timestamp
from datamill.journal._connection import connect, sqlite_errors
from datamill.journal._diff import RunDiff, diff_runs
from datamill.journal._liveness import PROCESS_TOKEN
from datamill.journal._prune import PruneReport, prune
from datamill.journal._records import (
    FINAL_STATUSES,
    RUN_STATUSES,
    FinalStatus,
    NodeRecord,
    NodeStatus,
    PartitionRecord,
    Producer,
    RunDetail,
    RunStart,
    RunStatus,
    RunSummary,
    check_choice,
    utc_now,
)

__all__ = ["DEFAULT_BUSY_TIMEOUT", "DEFAULT_PATH", "Journal"]

DEFAULT_PATH: Final = ".datamill/journal.db"
"""Where a project keeps its journal, relative to the project root."""

DEFAULT_BUSY_TIMEOUT: Final = 30.0
"""Seconds a write waits for another process to release the journal."""

_INSERT_RUN: Final = (
    "INSERT INTO runs (run_id, pipeline, status, started, last_seen, command, options, env, "
    "git_commit, git_dirty, parameters, executor, pid, host, process_token, resumes) "
    "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_NODE: Final = (
    "INSERT INTO nodes (id, run_id, node_name, status, reason, started, ended, duration, "
    "peak_memory, attempts, code_fingerprint, params_fingerprint, params_components, "
    "input_fingerprints, catalog, error) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_LAST_NODE_ID: Final = "SELECT coalesce(max(id), 0) FROM nodes"
_RUN_PIPELINE: Final = "SELECT pipeline FROM runs WHERE run_id = ?"
_SUCCEEDED: Final = (
    # A node's execution replaces the one kept unless that one ended later (or, ending at
    # the same time, was recorded later): runs of one pipeline may overlap.
    "INSERT INTO last_success (node_name, pipeline, ended, node_id) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (node_name, pipeline) DO UPDATE SET "
    "ended = excluded.ended, node_id = excluded.node_id "
    "WHERE (excluded.ended, excluded.node_id) > (last_success.ended, last_success.node_id)"
)
_INSERT_CODE: Final = "INSERT OR IGNORE INTO code (fingerprint, components) VALUES (?, ?)"
_INSERT_DATASET: Final = (
    "INSERT INTO datasets (node_id, dataset, role, version, fingerprint, persisted) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_PARTITION: Final = (
    "INSERT INTO partitions (run_id, node_name, dataset, partition_id, key, fingerprint, "
    "committed) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_RUN_EXISTS: Final = "SELECT 1 FROM runs WHERE run_id = ?"
_TOUCH: Final = "UPDATE runs SET last_seen = ? WHERE run_id = ? AND status = 'running'"
_FINISH: Final = (
    "UPDATE runs SET status = ?, ended = ?, error = ?, last_seen = ? "
    "WHERE run_id = ? AND status = 'running'"
)


class Journal:
    """The record of every run of a project, in an embedded SQLite database.

    The runner writes to it (`start_run`, `record_node` or `record_nodes`,
    `record_partition`, `finish_run`); the skip and resume logic and the command line read
    it. Several processes may use one journal at once. A `Journal` may be shared by the
    threads of one process, but not across ``fork``: open one in each process.

    Args:
        path: The database file; it and its folder are created when missing.
        busy_timeout: Seconds a call waits while another process writes, before failing.
        stale_after: How long a run recorded as running on *another* host may stay silent
            before it reads as ``crashed``; ``None`` (the default) never decides so. Runs
            of this host are checked by their process instead.

    Raises:
        JournalError: If the file is not a datamill journal (or not a database at all),
            was written by a newer datamill, or cannot be created.

    Example:
        >>> with Journal(".datamill/journal.db") as journal:  # doctest: +SKIP
        ...     journal.start_run(RunStart(run_id, "__default__", command=sys.argv))
        ...     journal.record_node(run_id, NodeRecord("clean", "ran", duration=0.4))
        ...     journal.finish_run(run_id, "succeeded")
        ...     print(journal.run("latest").status)
        succeeded
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        stale_after: timedelta | None = None,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._code_written: set[str] = set()  # code fingerprints this object wrote
        self._connection: sqlite3.Connection | None = connect(self.path, busy_timeout)
        self._connection.row_factory = sqlite3.Row

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        stale_after: timedelta | None = None,
    ) -> Self:
        """Open the journal at ``path``; the same as calling `Journal`."""
        return cls(path, busy_timeout=busy_timeout, stale_after=stale_after)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._connection is None else "open"
        return f"Journal({str(self.path)!r}, {state})"

    def close(self) -> None:
        """Close the database connection; closing again does nothing."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- writing ---------------------------------------------------------------------------

    def start_run(self, start: RunStart) -> None:
        """Record that a run started; it reads as ``running`` until `finish_run`.

        Raises:
            JournalError: If a run with the same id is already recorded.
        """
        row = _run_row(start)
        with self._write() as connection:
            if connection.execute(_RUN_EXISTS, (start.run_id,)).fetchone():
                raise JournalError(
                    f"Run {start.run_id!r} is already in the journal {self.path}. Give each "
                    "run a new id (e.g. from datamill.runner.new_run_id()).",
                    path=str(self.path),
                    run_id=start.run_id,
                )
            connection.execute(_INSERT_RUN, row)

    def heartbeat(self, run_id: str) -> None:
        """Note that run ``run_id`` is still going, when it has nothing else to record.

        A run's last write is what tells a run of another machine that is still going from
        one that died (see ``stale_after``); a runner calls this during long nodes.

        Raises:
            JournalError: If the run is not in the journal or has finished.
        """
        with self._write() as connection:
            self._touch(connection, run_id)

    def record_node(self, run_id: str, record: NodeRecord) -> None:
        """Record what happened to one node of run ``run_id``, with its datasets.

        Args:
            run_id: The run, as given to `start_run` (not a prefix).
            record: The node's record; its ``run_id`` must be ``None`` or ``run_id``.

        Raises:
            JournalError: If the run is not in the journal or has finished.
            ValueError: If ``record.run_id`` names another run.
        """
        self.record_nodes(run_id, (record,))

    def record_nodes(self, run_id: str, records: Iterable[NodeRecord]) -> None:
        """Record several nodes of run ``run_id`` in one transaction (all or none).

        Committing a batch costs about as much as committing one record, so a runner may
        gather the records of fast nodes (or of every skipped node) and write them at once.
        An empty batch writes nothing.

        Raises:
            JournalError: If the run is not in the journal or has finished.
            ValueError: If a record's ``run_id`` names another run.
        """
        batch = tuple(records)
        for record in batch:
            _check_belongs(record, run_id)
        rows = [_node_row(run_id, record) for record in batch]
        if not rows:
            return
        code = self._new_code(batch)
        with self._write() as connection:
            self._touch(connection, run_id)
            if code:
                connection.executemany(_INSERT_CODE, code)
            # The write lock is held: the ids after the largest one are this batch's.
            (last,) = connection.execute(_LAST_NODE_ID).fetchone()
            first = last + 1
            connection.executemany(_INSERT_NODE, [(first + i, *row) for i, row in enumerate(rows)])
            (pipeline,) = connection.execute(_RUN_PIPELINE, (run_id,)).fetchone()
            connection.executemany(
                _SUCCEEDED,
                [
                    (record.node_name, pipeline, row[_ENDED] or "", first + i)
                    for i, (record, row) in enumerate(zip(batch, rows, strict=True))
                    if record.status == "ran"
                ],
            )
            connection.executemany(
                _INSERT_DATASET,
                [
                    (first + i, d.name, d.role, d.version, d.fingerprint, d.persisted)
                    for i, record in enumerate(batch)
                    for d in record.datasets
                ],
            )
        self._code_written.update(fingerprint for fingerprint, _ in code)

    def _new_code(self, batch: Iterable[NodeRecord]) -> list[tuple[str, str]]:
        """The code fingerprints of ``batch`` not yet written, with their components' JSON.

        Components are kept once per fingerprint (a digest of them), so each is encoded
        and written only the first time this journal object meets it.
        """
        new: dict[str, str] = {}
        for record in batch:
            fingerprint = record.code_fingerprint
            if fingerprint is None or fingerprint in self._code_written or fingerprint in new:
                continue
            new[fingerprint] = dumps(record.code_components)
        return list(new.items())

    def record_partition(
        self,
        run_id: str,
        node_name: str,
        dataset: str,
        partition_id: str,
        *,
        key: str | None,
        fingerprint: str | None = None,
        committed: datetime | None = None,
    ) -> None:
        """Record that ``node_name`` committed one partition of ``dataset`` in run ``run_id``.

        Record a partition once it is completely saved: a rerun after a crash skips the
        partitions whose ``key`` is unchanged (see `committed_partitions`).

        Args:
            run_id: The run, as given to `start_run`.
            node_name: The node writing the partitioned dataset.
            dataset: The partitioned dataset.
            partition_id: The partition's id within the dataset.
            key: Digest of what the partition is computed from (its input, the node's
                code and parameters).
            fingerprint: Digest of the partition's data, when known.
            committed: When it was committed; now by default.

        Raises:
            JournalError: If the run is not in the journal or has finished.
        """
        when = to_timestamp(committed or utc_now())
        row = (run_id, node_name, dataset, partition_id, key, fingerprint, when)
        with self._write() as connection:
            self._touch(connection, run_id)
            connection.execute(_INSERT_PARTITION, row)

    def file_hash(self, url: str, stamp: str) -> str | None:
        """The content hash kept for the file at ``url`` while its stamp is ``stamp``.

        File datasets keep the hashes of large files here (see
        `datamill.io.remembered_hashes`); the stamp says the file's size, modification time
        and inode, so a changed file finds nothing.
        """
        with self._read() as connection:
            row = connection.execute(
                "SELECT digest FROM file_hashes WHERE url = ? AND stamp = ?", (url, stamp)
            ).fetchone()
        return None if row is None else str(row[0])

    def remember_file_hash(self, url: str, stamp: str, digest: str) -> None:
        """Keep ``digest`` as the content hash of ``url`` while its stamp is ``stamp``."""
        with self._write() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO file_hashes (url, stamp, digest) VALUES (?, ?, ?)",
                (url, stamp, digest),
            )

    def finish_run(
        self,
        run_id: str,
        status: FinalStatus,
        error: str | None = None,
        *,
        ended: datetime | None = None,
    ) -> None:
        """Record how run ``run_id`` ended.

        Args:
            run_id: The run, as given to `start_run`.
            status: ``"succeeded"``, ``"failed"`` or ``"interrupted"``.
            error: The error message of a failed run.
            ended: When it ended; now by default.

        Raises:
            JournalError: If the run is not in the journal or has already finished.
            ValueError: If ``status`` is not a final status.
        """
        check_choice(status, FINAL_STATUSES, f"Final status of run {run_id!r}")
        now = to_timestamp(utc_now())
        row = (status, optional_timestamp(ended) or now, error, now, run_id)
        with self._write() as connection:
            if connection.execute(_FINISH, row).rowcount == 0:
                raise self._not_running(connection, run_id)

    def prune(
        self,
        *,
        keep: int | None = None,
        before: datetime | None = None,
        dry_run: bool = False,
        vacuum: bool = False,
    ) -> PruneReport:
        """Remove old runs that nothing relies on any more, in one transaction.

        Selects the runs beyond the newest ``keep``, or started before ``before`` (with
        both, runs that are both), and removes those of them that no later run relies on,
        with their node records, dataset records, committed partitions and unused code
        fingerprint components. Kept although selected: a run still running (not a crashed
        one), the newest run of each pipeline, and a run holding a node's last successful
        execution or a partition's latest commit.

        Args:
            keep: How many of the newest runs to leave alone (0 or more).
            before: Leave alone the runs started at or after this time (timezone-aware).
            dry_run: Only report what would be removed.
            vacuum: Then shrink the file (rewrites it whole; waits for other processes).

        Returns:
            The runs removed (or that would be) and those kept although selected.

        Raises:
            ValueError: If neither ``keep`` nor ``before`` is given, ``keep`` is negative or
                ``before`` is naive.
        """
        if keep is None and before is None:
            raise ValueError("Give keep= or before= (or both) to say which runs to remove.")
        if keep is not None and keep < 0:
            raise ValueError(f"keep must be 0 or more, got {keep}.")
        if before is not None and before.tzinfo is None:
            raise ValueError(f"before must be timezone-aware, got {before.isoformat()}.")
        with self._write() as connection:
            report = prune(
                connection,
                keep=keep,
                before=before,
                dry_run=dry_run,
                stale_after=self.stale_after,
            )
        if vacuum and not dry_run:
            with self._lock, sqlite_errors(self.path, self.busy_timeout):
                connection = self._open_connection()
                connection.execute("VACUUM")  # into the write-ahead log, in WAL mode ...
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # ... then the file
        return report

    # -- reading ---------------------------------------------------------------------------

    def runs(
        self,
        limit: int | None = 20,
        status: RunStatus | Collection[RunStatus] | None = None,
        pipeline: str | None = None,
    ) -> list[RunSummary]:
        """The recorded runs, newest first.

        Args:
            limit: The most runs to return; ``None`` for all.
            status: Only runs with this status, or with one of these statuses
                (``"crashed"`` and ``"running"`` are told apart as described in `Journal`).
            pipeline: Only runs of this pipeline.

        Raises:
            ValueError: If a status is unknown or ``limit`` is negative.
        """
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or at least 0, got {limit}.")
        statuses = _statuses(status)
        with self._read() as connection:
            found = queries.iter_runs(
                connection,
                statuses=statuses,
                pipeline=pipeline,
                stale_after=self.stale_after,
                now=utc_now(),
            )
            with closing(found):
                chosen = list(islice(found, limit))
            return queries.summaries(connection, chosen)

    def run(self, run_id: str, *, nodes: bool = True) -> RunDetail:
        """Everything recorded about one run.

        Args:
            run_id: A run id, a unique prefix or suffix of one, or ``"latest"``.
            nodes: False to leave the node records out (`RunDetail.nodes` is then empty;
                the node counts are still there): a run of 10,000 nodes reads in
                milliseconds instead of a fifth of a second.

        Raises:
            JournalError: If no run matches (naming the closest ids) or several do.
        """
        with self._read() as connection:
            resolved = queries.resolve_run_id(connection, run_id, self.path)
            return queries.run_detail(
                connection, resolved, self.stale_after, utc_now(), nodes=nodes
            )

    def latest_run(
        self,
        status: RunStatus | Collection[RunStatus] | None = None,
        pipeline: str | None = None,
        *,
        skip_resumed: bool = False,
        nodes: bool = True,
    ) -> RunDetail | None:
        """The most recently started run with that status and pipeline, or ``None``.

        With ``skip_resumed``, a run that a later run resumed successfully (one started
        with ``RunStart(resumes=...)`` that succeeded) does not count: it is finished.
        Without ``nodes``, the run's node records are left out, as in `run`.

        Example:
            >>> journal.latest_run(status=("failed", "crashed", "interrupted"))  # doctest: +SKIP
        """
        statuses = _statuses(status)
        with self._read() as connection:
            now = utc_now()
            found = queries.iter_runs(
                connection,
                statuses=statuses,
                pipeline=pipeline,
                stale_after=self.stale_after,
                now=now,
                skip_resumed=skip_resumed,
            )
            with closing(found):
                first = next(found, None)
            if first is None:
                return None
            return queries.run_detail(
                connection, first[0]["run_id"], self.stale_after, now, nodes=nodes
            )

    def resumed_runs(self, run_id: str) -> list[str]:
        """The runs that run ``run_id`` finishes: the run it resumes, the run that one
        resumes, and so on, nearest first (empty for a run that resumes none).

        Reads only the ``runs`` table: a resume chain is known without the node records.
        A run removed by `prune` ends the chain.
        """
        with self._read() as connection:
            return queries.resumed_runs(connection, run_id)

    def nodes(self, run_id: str) -> list[NodeRecord]:
        """The node records of one run (id, unique prefix or suffix, or ``"latest"``), in order.

        Raises:
            JournalError: If no run matches or several do.
        """
        with self._read() as connection:
            resolved = queries.resolve_run_id(connection, run_id, self.path)
            return list(queries.run_nodes(connection, resolved))

    def node_statuses(self, run_id: str) -> dict[str, NodeStatus]:
        """The status of each node of one run (id, unique prefix or suffix, or
        ``"latest"``), by node name, in the order they were recorded.

        Reads only the statuses: for a run of 10,000 nodes, a few milliseconds where
        `nodes` takes a fifth of a second.

        Raises:
            JournalError: If no run matches or several do.
        """
        with self._read() as connection:
            resolved = queries.resolve_run_id(connection, run_id, self.path)
            return queries.node_statuses(connection, resolved)

    def last_success(self, node_name: str, pipeline: str | None = None) -> NodeRecord | None:
        """The most recent record of ``node_name`` with status ``ran``, in any run.

        A node whose code, parameter and input fingerprints equal this record's has
        nothing new to compute.

        Args:
            node_name: The node's full name.
            pipeline: Only look at runs of this pipeline.
        """
        with self._read() as connection:
            return queries.last_success(connection, node_name, pipeline)

    def last_successes(self, node_names: Iterable[str]) -> dict[str, NodeRecord]:
        """`last_success` of several nodes at once (in any pipeline), by node name.

        Nodes that never ran successfully are left out. Planning a run of many nodes
        reads them all this way, in a few queries.
        """
        names = list(dict.fromkeys(node_names))
        with self._read() as connection:
            return queries.last_successes(connection, names)

    def committed_partitions(
        self, node_name: str, dataset: str, *, run_id: str | None = None
    ) -> dict[str, PartitionRecord]:
        """The latest commit of each partition of ``dataset`` written by ``node_name``.

        A rerun may skip a partition whose recorded ``key`` equals the key it would
        compute now.

        Args:
            node_name: The node writing the partitioned dataset.
            dataset: The partitioned dataset.
            run_id: Only the commits of this run (an exact id).

        Returns:
            Partition id → its latest `PartitionRecord`, ordered by partition id.
        """
        with self._read() as connection:
            return queries.committed_partitions(connection, node_name, dataset, run_id)

    def producers(
        self,
        dataset: str,
        version: str | None = None,
        *,
        fingerprint: str | None = None,
        limit: int | None = 1,
    ) -> list[Producer]:
        """Which runs and nodes saved ``dataset``, most recent first, with their inputs.

        With the default ``limit``, the answer is the latest save (of that version or
        fingerprint, when given). Follow lineage upward by asking for the producers of
        each of a producer's inputs, at the version it loaded.

        Args:
            dataset: The dataset's catalog name.
            version: Only saves of this version.
            fingerprint: Only saves of data with this fingerprint.
            limit: The most saves to return; ``None`` for every one.
        """
        with self._read() as connection:
            return queries.producers(
                connection, dataset, version=version, fingerprint=fingerprint, limit=limit
            )

    def datasets(self) -> list[str]:
        """The name of every dataset a recorded node loaded or saved, sorted.

        Lineage can only be told for these; a name missing from the list was never read
        or written by a recorded run (use it to suggest the closest name).

        Example:
            >>> journal.datasets()  # doctest: +SKIP
            ['clean_companies', 'companies', 'features']
        """
        with self._read() as connection:
            return queries.dataset_names(connection)

    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """What differs between two runs (ids, unique prefixes or suffixes, or ``"latest"``).

        Raises:
            JournalError: If either run is not found.
        """
        with self._read() as connection:
            now = utc_now()
            details = [
                queries.run_detail(
                    connection,
                    queries.resolve_run_id(connection, ref, self.path),
                    self.stale_after,
                    now,
                )
                for ref in (run_a, run_b)
            ]
        return diff_runs(*details)

    # -- connection ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN IMMEDIATE") as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN") as connection:
            yield connection

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock, sqlite_errors(self.path, self.busy_timeout):
            connection = self._open_connection()
            connection.execute(begin)
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise JournalError(
                f"The journal {self.path} is closed. Open it again with Journal(path).",
                path=str(self.path),
            )
        return self._connection

    def _touch(self, connection: sqlite3.Connection, run_id: str) -> None:
        if connection.execute(_TOUCH, (to_timestamp(utc_now()), run_id)).rowcount == 0:
            raise self._not_running(connection, run_id)

    def _not_running(self, connection: sqlite3.Connection, run_id: str) -> JournalError:
        row = connection.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return queries.unknown_run(connection, run_id, self.path)
        return JournalError(
            f"Run {run_id!r} has already finished ({row[0]}) in the journal {self.path}: "
            "record nodes and partitions before finish_run, and finish a run once.",
            path=str(self.path),
            run_id=run_id,
        )


def _run_row(start: RunStart) -> tuple[object, ...]:
    return (
        start.run_id,
        start.pipeline,
        to_timestamp(start.started),
        to_timestamp(start.started),  # last seen
        dumps(list(start.command)),
        dumps(start.options),
        start.env,
        start.git_commit,
        start.git_dirty,
        dumps(start.parameters),
        start.executor,
        start.pid,
        start.host,
        PROCESS_TOKEN if start.pid == os.getpid() else None,
        start.resumes,
    )


def _check_belongs(record: NodeRecord, run_id: str) -> None:
    if record.run_id is not None and record.run_id != run_id:
        raise ValueError(
            f"Node record of {record.node_name!r} belongs to run {record.run_id!r}, not "
            f"{run_id!r}: leave its run_id unset when recording it."
        )


_ENDED: Final = 5
"""The position of the end time in a `_node_row`."""


def _node_row(run_id: str, record: NodeRecord) -> tuple[object, ...]:
    return (
        run_id,
        record.node_name,
        record.status,
        record.reason,
        optional_timestamp(record.started),
        optional_timestamp(record.ended),
        record.duration,
        record.peak_memory,
        record.attempts,
        record.code_fingerprint,
        record.params_fingerprint,
        dumps(record.params_components) if record.params_components else "{}",
        dumps(record.input_fingerprints) if record.input_fingerprints else "{}",
        dumps(record.catalog) if record.catalog else None,
        record.error,
    )


def _statuses(status: RunStatus | Collection[RunStatus] | None) -> frozenset[RunStatus] | None:
    if status is None:
        return None
    chosen: frozenset[RunStatus] = (
        frozenset({status}) if isinstance(status, str) else frozenset(status)
    )
    for one in chosen:
        check_choice(one, RUN_STATUSES, "Run status")
    return chosen
