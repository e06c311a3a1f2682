"""Recording a run in the journal, and skipping what has not changed since.

`Tracking` is what a session passes to `run_with` to make a run incremental and recorded:
the journal, how code is fingerprinted, what to record about the run, and whether to skip
unchanged nodes. Before the run, `plan` decides which nodes run (see `_incremental`); during
it, `Recorder` writes one record per node as the scheduler reports it.

Records are committed by the scheduler before it starts new nodes, in one transaction for
the nodes that finished meanwhile: every node that finished before a node started is in the
journal before that node starts, so a crash (even SIGKILL) never makes a finished node run
again on ``--resume``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from datamill.io import AbstractDataset, DataCatalog
from datamill.journal import DatasetRecord, Journal, NodeRecord, RunStart
from datamill.pipeline import Node, Pipeline, is_parameter
from datamill.runner._executors import Done
from datamill.runner._fingerprint_values import parameter_fingerprints
from datamill.runner._fingerprint_words import describe_changes
from datamill.runner._fingerprints import CodeFingerprinter
from datamill.runner._incremental import (
    CodeIdentity,
    Decision,
    PastExecution,
    memory_fingerprint,
    plan_run,
)

__all__ = ["NodeFingerprints", "Recorder", "RunInfo", "Tracking", "plan"]

Dataset = AbstractDataset[Any, Any]

_RSS_UNIT: Final = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the journal records about a run besides its nodes.

    Attributes:
        pipeline: The registered pipeline's name.
        command: The command line, one string per argument.
        options: The run options, enough to run again the same way (``--resume``).
        env: The configuration environment.
        parameters: The resolved parameters.
        git_commit: The project's git commit, if any.
        git_dirty: Whether the working tree had uncommitted changes.
    """

    pipeline: str = "__default__"
    command: Sequence[str] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    env: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None


@dataclass(slots=True)
class Tracking:
    """Make a run recorded in ``journal`` and, unless ``incremental`` is off, incremental.

    Attributes:
        journal: Where runs are recorded and past executions looked up.
        info: What to record about the run.
        own_code: The project's source folders (the code whose changes count).
        incremental: Skip nodes whose code, parameters and inputs are unchanged.
        force: Run every node (True), or these nodes, whatever changed.
        explain_only: Decide and report, but run nothing and record nothing.
    """

    journal: Journal
    info: RunInfo = field(default_factory=RunInfo)
    own_code: Sequence[Path] | None = None
    incremental: bool = True
    force: bool | Collection[str] = False
    explain_only: bool = False
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Filled by `plan`: each node's decision, by node name (for reports)."""


class NodeFingerprints:
    """Code and parameter fingerprints of nodes, for one run."""

    def __init__(self, catalog: DataCatalog, own_code: Sequence[Path] | None) -> None:
        self._catalog = catalog
        self._coder = CodeFingerprinter(list(own_code) if own_code is not None else None)

    def code(self, node: Node) -> CodeIdentity:
        """The code fingerprint of ``node``'s function."""
        found = self._coder.fingerprint(node.func)
        return CodeIdentity(found.digest, found.components)

    def params(self, node: Node) -> dict[str, str | None]:
        """The fingerprint of each parameter input of ``node``."""
        names = [name for name in dict.fromkeys(node.inputs) if is_parameter(name)]
        if not names:
            return {}
        return parameter_fingerprints({name: self._catalog.load(name) for name in names})

    def describe(self, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
        """Words for what differs between two code fingerprints' components."""
        return describe_changes(old, new)


class JournalHistory:
    """Past executions from the journal, each node looked up once."""

    def __init__(self, journal: Journal, pipeline: str | None = None) -> None:
        self._journal = journal
        self._pipeline = pipeline

    def last_success(self, node_name: str) -> PastExecution | None:
        """The node's last successful execution in the journal, or None."""
        record = self._journal.last_success(node_name)
        if record is None or record.code_fingerprint is None:
            return None
        return PastExecution(
            code=record.code_fingerprint,
            code_components=dict(record.code_components),
            params=dict(record.params_components),
            inputs=dict(record.input_fingerprints),
            outputs={d.name: d.fingerprint for d in record.saves},
        )


def plan(
    tracking: Tracking,
    pipeline: Pipeline,
    datasets: Mapping[str, Dataset],
    fingerprints: NodeFingerprints,
    free_outputs: Collection[str],
) -> list[Decision]:
    """Each node's decision (all run when the tracking is not incremental)."""
    force: bool | Collection[str] = True if not tracking.incremental else tracking.force
    decisions = plan_run(
        pipeline,
        datasets,
        JournalHistory(tracking.journal, tracking.info.pipeline),
        fingerprints,
        force=force,
        free_outputs=free_outputs,
    )
    if not tracking.incremental:
        for decision in decisions:
            decision.reason = "incremental runs are off"
    tracking.decisions = {n.name: d for n, d in zip(pipeline.graph.nodes, decisions, strict=True)}
    return decisions


class Recorder:
    """Writes a run and each of its nodes to the journal."""

    def __init__(
        self,
        tracking: Tracking,
        run_id: str,
        executor: str,
        *,
        pipeline: Pipeline,
        decisions: Sequence[Decision],
        datasets: Mapping[str, Dataset],
    ) -> None:
        self.journal = tracking.journal
        self.run_id = run_id
        self.pipeline = pipeline
        self.decisions = {n.name: d for n, d in zip(pipeline.graph.nodes, decisions, strict=True)}
        self.datasets = datasets
        self.memory: dict[str, str | None] = {}  # in-memory dataset -> its fingerprint
        self.recorded: set[str] = set()
        self._pending: list[NodeRecord] = []
        info = tracking.info
        self.journal.start_run(
            RunStart(
                run_id=run_id,
                pipeline=info.pipeline,
                command=list(info.command),
                options=dict(info.options),
                env=info.env,
                git_commit=info.git_commit,
                git_dirty=info.git_dirty,
                parameters=dict(info.parameters),
                executor=executor,
            )
        )

    def skipped(self) -> None:
        """Record every skipped node, with the fingerprints of its in-memory outputs."""
        for n in self.pipeline.graph.nodes:
            decision = self.decisions[n.name]
            if decision.runs:
                continue
            for name in n.outputs:
                if not self.datasets[name].persistent:
                    self.memory[name] = memory_fingerprint(
                        decision.code.digest, decision.params, decision.inputs, name
                    )
            self._add(self._record(n, decision, "skipped"))
        self.commit()

    def done(self, done: Done) -> None:
        """Record a node that ran (successfully or not); commit when it is time."""
        n = done.job.node
        decision = self.decisions[n.name]
        job = done.job
        started = _moment(job.started)
        ended = _moment(job.ended) or datetime.now(UTC)
        duration = None if job.started is None else max(0.0, ended.timestamp() - job.started)
        if done.error is not None:
            error = f"{type(done.error).__name__}: {done.error}"
            record = self._record(
                n, decision, "failed", started=started, ended=ended, duration=duration
            )
            record = _with(record, error=error, attempts=job.attempts)
        else:
            record = self._ran(n, decision, started, ended, duration)
            record = _with(record, attempts=job.attempts)
        if job.partitions is not None:  # say how much of a partitionwise node was computed
            record = _with(record, reason=f"{decision.reason}; {job.partitions.summary()}")
        self._add(record)

    def finish(self, status: str, error: str | None = None) -> None:
        """Record the nodes that never ran, then the run's end."""
        for n in self.pipeline.graph.nodes:
            if n.name not in self.recorded:
                self._add(self._record(n, self.decisions[n.name], "not_reached"))
        self.commit()
        self.journal.finish_run(self.run_id, status, error=error)  # type: ignore[arg-type]

    def commit(self) -> None:
        """Write the pending records in one transaction."""
        if not self._pending:
            return
        self.journal.record_nodes(self.run_id, self._pending)
        self._pending = []

    # -- building records -----------------------------------------------------------------

    def _add(self, record: NodeRecord) -> None:
        self.recorded.add(record.node_name)
        self._pending.append(record)

    def _ran(
        self,
        n: Node,
        decision: Decision,
        started: datetime | None,
        ended: datetime,
        duration: float | None,
    ) -> NodeRecord:
        inputs: dict[str, str | None] = {}
        datasets: list[DatasetRecord] = []
        for name in dict.fromkeys(n.inputs):
            if is_parameter(name):
                continue
            dataset = self.datasets[name]
            if dataset.persistent:
                fingerprint = dataset.fingerprint()
                datasets.append(DatasetRecord(name, "load", dataset.current_version(), fingerprint))
            else:
                fingerprint = self.memory.get(name)
            inputs[name] = fingerprint
        for name in n.outputs:
            dataset = self.datasets[name]
            if dataset.persistent:
                datasets.append(
                    DatasetRecord(
                        name, "save", dataset.current_version(), dataset.fingerprint(), True
                    )
                )
            else:
                fingerprint = memory_fingerprint(
                    decision.code.digest, decision.params, inputs, name
                )
                self.memory[name] = fingerprint
                datasets.append(DatasetRecord(name, "save", None, fingerprint, False))
        record = self._record(
            n, decision, "ran", started=started, ended=ended, duration=duration, inputs=inputs
        )
        return _with(record, datasets=tuple(datasets), peak_memory=_peak_memory())

    def _record(
        self,
        n: Node,
        decision: Decision,
        status: str,
        *,
        started: datetime | None = None,
        ended: datetime | None = None,
        duration: float | None = None,
        inputs: Mapping[str, str | None] | None = None,
    ) -> NodeRecord:
        return NodeRecord(
            node_name=n.name,
            status=status,  # type: ignore[arg-type]
            reason=decision.reason,
            started=started,
            ended=ended,
            duration=duration,
            attempts=1 if status in {"ran", "failed"} else 0,
            code_fingerprint=decision.code.digest,
            code_components=dict(decision.code.components),
            params_fingerprint=_combined(decision.params),
            params_components=dict(decision.params),
            input_fingerprints=dict(decision.inputs if inputs is None else inputs),
        )


def _with(record: NodeRecord, **changes: Any) -> NodeRecord:
    from dataclasses import replace

    return replace(record, **changes)


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _combined(params: Mapping[str, str | None]) -> str | None:
    if any(v is None for v in params.values()):
        return None
    digest = hashlib.blake2b(digest_size=16)
    for name, value in sorted(params.items()):
        digest.update(f"{name}={value}\0".encode())
    return digest.hexdigest()


def _peak_memory() -> int | None:
    """The peak resident memory of this process so far, in bytes (None where unknown)."""
    try:
        import resource  # Unix only
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT
