"""The values the journal stores and returns: runs, node executions, datasets, partitions.

Records are frozen dataclasses. The write side (`RunStart`, `NodeRecord`) checks its values
when it is built, so that a mistake in the caller fails where it is made rather than as a
database error later.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

from datamill._text import did_you_mean, quoted

__all__ = [
    "DATASET_ROLES",
    "FINAL_STATUSES",
    "NODE_STATUSES",
    "RUN_STATUSES",
    "DatasetRecord",
    "DatasetRole",
    "FinalStatus",
    "NodeRecord",
    "NodeStatus",
    "PartitionRecord",
    "Producer",
    "RunDetail",
    "RunStart",
    "RunStatus",
    "RunSummary",
    "utc_now",
]

RunStatus = Literal["running", "succeeded", "failed", "interrupted", "crashed"]
"""A run's status; ``crashed`` is never stored, it is derived when a run is read."""

FinalStatus = Literal["succeeded", "failed", "interrupted"]
"""The statuses `Journal.finish_run` accepts."""

NodeStatus = Literal["ran", "skipped", "failed", "interrupted", "not_reached"]
"""What happened to a node in a run (``interrupted``: it was running when its run stopped)."""

DatasetRole = Literal["load", "save"]
"""Whether a node loaded or saved a dataset."""

RUN_STATUSES: Final[tuple[RunStatus, ...]] = get_args(RunStatus)
FINAL_STATUSES: Final[tuple[FinalStatus, ...]] = get_args(FinalStatus)
NODE_STATUSES: Final[tuple[NodeStatus, ...]] = get_args(NodeStatus)
DATASET_ROLES: Final[tuple[DatasetRole, ...]] = get_args(DatasetRole)


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def check_choice(value: object, allowed: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed``, naming the closest."""
    choices = tuple(allowed)
    if value not in choices:
        hint = did_you_mean(str(value), choices)
        raise ValueError(f"{what} {value!r} is not one of {quoted(choices)}.{hint}")


def _check_aware(value: datetime | None, what: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(
            f"{what} {value.isoformat()} has no time zone: pass an aware datetime, "
            "e.g. datetime.now(UTC)."
        )


def _check_not_negative(value: float | None, what: str) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}.")


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One dataset a node loaded or saved.

    Attributes:
        name: The dataset's catalog name.
        role: ``"load"`` or ``"save"``.
        version: The version loaded or saved, for versioned datasets.
        fingerprint: A digest of the data (or of what stands for it), when known.
        persisted: For saves: whether the data went to storage (``False`` for memory).
    """

    name: str
    role: DatasetRole
    version: str | None = None
    fingerprint: str | None = None
    persisted: bool | None = None

    def __post_init__(self) -> None:
        if self.role not in DATASET_ROLES:
            check_choice(self.role, DATASET_ROLES, f"Role of dataset {self.name!r}")


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """What happened to one node in one run, and what it was computed from.

    The fingerprints let a later run decide whether the node can be skipped; their
    components (qualified name or parameter name → digest) let it say *what* changed.

    Attributes:
        node_name: The node's full name (with its namespace).
        status: ``"ran"``, ``"skipped"``, ``"failed"``, ``"interrupted"`` (it was running
            when the run was interrupted) or ``"not_reached"``.
        reason: Why, in words (``"unchanged"``, ``"code changed: clean() in nodes.py"``).
        started: When the node started (aware datetime), if it started.
        ended: When it ended.
        duration: Seconds spent, as measured by the caller.
        peak_memory: Peak memory in bytes, when measured.
        attempts: How many times the node was tried (retries included).
        code_fingerprint: Digest of the node's code and the project code it calls.
        code_components: Qualified name → digest, for each piece of code in that digest.
        params_fingerprint: Digest of the parameters the node receives.
        params_components: Parameter name → digest.
        input_fingerprints: Input dataset name → fingerprint (``None`` when unknown).
        catalog: For each persisted input and output, the digest of each part of its
            catalog entry that says how it is read or written (type, ``load_args``, ...;
            see ``AbstractDataset.config_parts``), so that a later run sees a changed entry.
        datasets: Each dataset loaded or saved, in order.
        error: The error message, for a failed node.
        run_id: The run, on records read from the journal; ``None`` on records to write
            (`Journal.record_node` takes the run separately).

    Raises:
        ValueError: If the status is unknown, a count or duration is negative, or a
            timestamp has no time zone.

    Example:
        >>> record = NodeRecord("clean", "skipped", reason="unchanged", attempts=0)
        >>> journal.record_node(run_id, record)  # doctest: +SKIP
    """

    node_name: str
    status: NodeStatus
    reason: str = ""
    started: datetime | None = None
    ended: datetime | None = None
    duration: float | None = None
    peak_memory: int | None = None
    attempts: int = 1
    code_fingerprint: str | None = None
    code_components: Mapping[str, str] = field(default_factory=dict)
    params_fingerprint: str | None = None
    params_components: Mapping[str, str | None] = field(default_factory=dict)
    input_fingerprints: Mapping[str, str | None] = field(default_factory=dict)
    catalog: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    datasets: tuple[DatasetRecord, ...] = ()
    error: str | None = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        if not self._plainly_valid():  # the common case, checked fast: a runner makes many
            what = f"Node {self.node_name!r}"
            check_choice(self.status, NODE_STATUSES, f"Status of node {self.node_name!r}")
            _check_aware(self.started, f"{what}: start time")
            _check_aware(self.ended, f"{what}: end time")
            _check_not_negative(self.duration, f"{what}: duration")
            _check_not_negative(self.peak_memory, f"{what}: peak memory")
            _check_not_negative(self.attempts, f"{what}: attempts")
        if type(self.datasets) is not tuple:
            object.__setattr__(self, "datasets", tuple(self.datasets))

    def _plainly_valid(self) -> bool:
        return (
            self.status in NODE_STATUSES
            and (self.started is None or self.started.tzinfo is UTC)
            and (self.ended is None or self.ended.tzinfo is UTC)
            and (self.duration is None or self.duration >= 0)
            and (self.peak_memory is None or self.peak_memory >= 0)
            and self.attempts >= 0
        )

    @property
    def loads(self) -> tuple[DatasetRecord, ...]:
        """The datasets the node loaded."""
        return tuple(d for d in self.datasets if d.role == "load")

    @property
    def saves(self) -> tuple[DatasetRecord, ...]:
        """The datasets the node saved."""
        return tuple(d for d in self.datasets if d.role == "save")


@dataclass(frozen=True, slots=True)
class RunStart:
    """Everything known about a run when it starts.

    ``options`` should hold what is needed to run again the same way (the slicing options,
    executor, workers, ...): a failed run is resumed with its original options. Values of
    ``options`` and ``parameters`` that JSON cannot hold are stored as their ``repr``.

    Attributes:
        run_id: A unique id given by the caller (``20261122T101500.123456Z-3fa2c1``).
        pipeline: The name of the pipeline run.
        command: The command line, one string per argument (kept as a tuple).
        options: The run options, as JSON-compatible values.
        env: The configuration environment.
        git_commit: The project's git commit, if it is a git repository (see `git_state`).
        git_dirty: Whether the working tree had uncommitted changes.
        parameters: The resolved parameters.
        executor: The executor's name (``"sequential"``, ``"thread"``, ...).
        started: When the run started; now by default.
        pid: The process running it; this process by default.
        host: The machine running it; this one by default.
        resumes: The id of the failed, interrupted or crashed run this run finishes, when
            it is a resume (once it succeeds, `Journal.latest_run` can skip that run).

    Raises:
        ValueError: If the run id is empty or ``"latest"`` (which names the latest run),
            or ``started`` has no time zone.

    Example:
        >>> start = RunStart(new_run_id(), "__default__", command=sys.argv)  # doctest: +SKIP
        >>> journal.start_run(start)  # doctest: +SKIP
    """

    run_id: str
    pipeline: str
    command: Sequence[str] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    env: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    executor: str | None = None
    started: datetime = field(default_factory=utc_now)
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    resumes: str | None = None

    def __post_init__(self) -> None:
        if not self.run_id or self.run_id != self.run_id.strip() or self.run_id == "latest":
            raise ValueError(
                f"Run id {self.run_id!r} cannot name a run: use a non-empty id without "
                "surrounding spaces, other than 'latest' (e.g. from datamill.runner.new_run_id())."
            )
        _check_aware(self.started, f"Run {self.run_id!r}: start time")
        object.__setattr__(self, "command", tuple(self.command))


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One line of the run history: a run's status, timing and node counts.

    Attributes:
        run_id: The run's id.
        pipeline: The pipeline run.
        status: The run's status; ``"crashed"`` when it is recorded as running but its
            process is gone (see the journal's documentation).
        started: When the run started.
        ended: When it finished, if it did.
        env: The configuration environment.
        error: The error message, for a failed run.
        git_commit: The git commit, when the project is a git repository.
        git_dirty: Whether the working tree had uncommitted changes.
        nodes_ran: How many node records say ``"ran"``.
        nodes_skipped: ... ``"skipped"``.
        nodes_failed: ... ``"failed"``.
        nodes_interrupted: ... ``"interrupted"``.
        nodes_not_reached: ... ``"not_reached"``.
        resumes: The run this one resumed (finished), if it was a resume.
    """

    run_id: str
    pipeline: str
    status: RunStatus
    started: datetime
    ended: datetime | None
    env: str | None
    error: str | None
    git_commit: str | None
    git_dirty: bool | None
    nodes_ran: int
    nodes_skipped: int
    nodes_failed: int
    nodes_interrupted: int
    nodes_not_reached: int
    resumes: str | None

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish, or ``None`` while the run has not finished."""
        if self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()


@dataclass(frozen=True, slots=True)
class RunDetail(RunSummary):
    """A run with everything recorded about it, its node records included.

    Attributes:
        command: The command line.
        options: The run options, as stored (JSON values).
        parameters: The resolved parameters, as stored (JSON values).
        executor: The executor's name.
        pid: The process that ran it.
        host: The machine that ran it.
        last_seen: When the run last wrote to the journal.
        nodes: Its node records, in the order they were recorded.
        resumed_by: The runs that resume this one (`RunStart.resumes`), by id, oldest
            first, with their statuses: once one has succeeded, this run is finished.
        partitions: How many partitions each partitionwise node committed in this run, by
            node and dataset: for a crashed run, how far its node in flight had got.
    """

    command: tuple[str, ...]
    options: Mapping[str, Any]
    parameters: Mapping[str, Any]
    executor: str | None
    pid: int
    host: str
    last_seen: datetime
    nodes: tuple[NodeRecord, ...]
    resumed_by: Mapping[str, RunStatus] = field(default_factory=dict)
    partitions: tuple[PartitionCount, ...] = ()

    def node(self, name: str) -> NodeRecord:
        """The last record of node ``name`` in this run.

        Raises:
            KeyError: If the run has no record of that node, with the closest name.
        """
        for record in reversed(self.nodes):
            if record.node_name == name:
                return record
        hint = did_you_mean(name, [n.node_name for n in self.nodes])
        raise KeyError(f"Run {self.run_id!r} has no record of node {name!r}.{hint}")

    def process_text(self) -> str:
        """Which process runs it and since when, in words, with the host when it is not this
        machine: ``"process 20869, started 2026-11-22 11:06:40"`` (local time)."""
        started = self.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"process {self.pid}{where}, started {started}"


@dataclass(frozen=True, slots=True)
class PartitionCount:
    """How many partitions of ``dataset`` node ``node_name`` committed in one run."""

    node_name: str
    dataset: str
    count: int


@dataclass(frozen=True, slots=True)
class PartitionRecord:
    """A partition of a partitioned output that a node committed (saved completely).

    Attributes:
        run_id: The run that committed it.
        node_name: The node that produced it.
        dataset: The partitioned dataset.
        partition_id: The partition's id within the dataset.
        key: Digest of what the partition was computed from; a rerun may skip the
            partition when its key is unchanged.
        fingerprint: Digest of the partition's data, when known.
        committed: When it was committed.
    """

    run_id: str
    node_name: str
    dataset: str
    partition_id: str
    key: str | None
    fingerprint: str | None
    committed: datetime


@dataclass(frozen=True, slots=True)
class Producer:
    """Which run and node saved a dataset, and what that node read (one lineage step).

    Walk lineage upward by asking for the producers of each input in turn.

    Attributes:
        run_id: The run.
        pipeline: The pipeline of that run.
        node_name: The node that saved the dataset.
        node_status: The node's status in that run.
        output: The save: dataset name, version, fingerprint, whether persisted.
        ended: When the node ended.
        inputs: The node's inputs: each with the version it loaded (when known) and its
            fingerprint.
    """

    run_id: str
    pipeline: str
    node_name: str
    node_status: NodeStatus
    output: DatasetRecord
    ended: datetime | None
    inputs: tuple[DatasetRecord, ...]
