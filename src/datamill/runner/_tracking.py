"""Recording a run in the journal, and skipping what has not changed since.

`Tracking` is what a session passes to `run_with` to make a run incremental and recorded:
the journal, how code is fingerprinted, what to record about the run, and whether to skip
unchanged nodes. Before the run, `plan` decides which nodes run (see `_incremental`); during
it, `Recorder` writes one record per node as the scheduler reports it.

Records are committed by the scheduler before it starts new nodes, in one transaction for
the nodes that finished meanwhile: every node that saved persisted data (or failed) before a
node started is in the journal before that node starts, so a crash (even SIGKILL) never
makes such a node run again on ``--resume``. Nodes whose outputs all stay in memory are
committed with the next such node, or at the end of the run: their data dies with the
process anyway, so after a crash whatever still needs it makes them run again regardless.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from datamill._text import error_text, quoted
from datamill.io import AbstractDataset, DataCatalog
from datamill.journal import DatasetRecord, Journal, NodeRecord, NodeStatus, RunStart
from datamill.pipeline import Node, Pipeline, is_parameter
from datamill.runner._cutoff import skippable_group
from datamill.runner._executors import Done, signals_held
from datamill.runner._fingerprint_values import (
    parameter_fingerprints,
    parameter_parts,
    qualified_type,
)
from datamill.runner._fingerprint_words import describe_changes
from datamill.runner._fingerprints import CodeFingerprinter
from datamill.runner._heartbeat import Heartbeat
from datamill.runner._incremental import (
    CodeIdentity,
    Decision,
    PastExecution,
    memory_fingerprint,
    plan_run,
)
from datamill.runner._job import NodeJob

__all__ = ["NodeFingerprints", "Recorder", "RunInfo", "Tracking", "plan"]

Dataset = AbstractDataset[Any, Any]

_RSS_UNIT: Final = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB
_PEAK_READ_AFTER: Final = 0.001  # seconds: see `Recorder._process_peak`
_log = logging.getLogger(__name__)


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
        resumes: The run this run resumes, if it is a resume.
    """

    pipeline: str = "__default__"
    command: Sequence[str] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    env: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    resumes: str | None = None


@dataclass(slots=True)
class Tracking:
    """Make a run recorded in ``journal`` and, unless ``incremental`` is off, incremental.

    Attributes:
        journal: Where runs are recorded and past executions looked up.
        info: What to record about the run.
        own_code: The project's source folders (the code whose changes count).
        incremental: Skip nodes whose code, parameters and inputs are unchanged.
        force: Run every node (True), or these nodes, whatever changed. A mapping names
            the reason to state for each (say, that the run being resumed forced it);
            otherwise the reason is "forced".
        explain_only: Decide and report, but run nothing and record nothing.
        early_cutoff: Skip a node whose recomputed inputs came out with the fingerprints
            of its last success, once they are known (incremental runs only).
    """

    journal: Journal
    info: RunInfo = field(default_factory=RunInfo)
    own_code: Sequence[Path] | None = None
    incremental: bool = True
    force: bool | Collection[str] = False
    explain_only: bool = False
    early_cutoff: bool = False
    decisions: dict[str, Decision] = field(default_factory=dict)
    """Filled by `plan`: each node's decision, by node name (for reports)."""


class NodeFingerprints:
    """Code and parameter fingerprints of nodes, for one run."""

    def __init__(self, catalog: DataCatalog, own_code: Sequence[Path] | None) -> None:
        self._catalog = catalog
        self._coder = CodeFingerprinter(list(own_code) if own_code is not None else None)
        self._known_parts: dict[tuple[str, str], dict[str, str | None]] = {}

    def code(self, node: Node) -> CodeIdentity:
        """The code fingerprint of ``node``'s function."""
        found = self._coder.fingerprint(node.func)
        return CodeIdentity(found.digest, found.components)

    def params(self, node: Node) -> tuple[dict[str, str | None], dict[str, str | None]]:
        """The fingerprint of each parameter input of ``node``, and of each part of those
        that are mappings."""
        names = [name for name in node.inputs if is_parameter(name)]
        if not names:
            return {}, {}
        names = list(dict.fromkeys(names))
        values = {name: self._catalog.load(name) for name in names}
        found = parameter_fingerprints(values)
        parts: dict[str, str | None] = {}
        for name, value in values.items():
            fingerprint = found[name]
            if fingerprint is None or not isinstance(value, Mapping):
                continue
            known = self._known_parts.get((name, fingerprint))
            if known is None:  # many nodes share a parameter: fingerprint its parts once
                known = self._known_parts[name, fingerprint] = parameter_parts(name, value)
            parts.update(known)
        return found, parts

    def describe(self, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
        """Words for what differs between two code fingerprints' components."""
        return describe_changes(old, new)

    def catalog_entry(self, dataset: Dataset, role: Literal["load", "save"]) -> dict[str, str]:
        """A fingerprint of each part of ``dataset``'s configuration that decides how it is
        loaded or saved, as parameters are fingerprinted (a value without a stable text,
        such as an object whose ``repr`` shows its address, counts by its type), plus
        ``"code"``, the code fingerprint of a dataset type the project wrote itself."""
        values = dataset.config_parts(role)
        found = parameter_fingerprints(values)
        parts = {
            k: f"type:{qualified_type(values[k])}" if v is None else v for k, v in found.items()
        }
        code = self._coder.own_class(type(dataset))
        if code is not None:
            parts["code"] = code.digest
        return parts


class JournalHistory:
    """Past executions from the journal, read for all the run's nodes at the first lookup."""

    def __init__(self, journal: Journal, node_names: Collection[str]) -> None:
        self._journal = journal
        self._node_names = node_names
        self._found: dict[str, NodeRecord] | None = None

    def last_success(self, node_name: str) -> PastExecution | None:
        """The node's last successful execution in the journal, or None."""
        if self._found is None:
            self._found = self._journal.last_successes(self._node_names)
        record = self._found.get(node_name)
        if record is None or record.code_fingerprint is None:
            return None
        return PastExecution(
            code=record.code_fingerprint,
            code_components=dict(record.code_components),
            params=dict(record.params_components),
            inputs=dict(record.input_fingerprints),
            outputs={d.name: d.fingerprint for d in record.saves},
            catalog=record.catalog,
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
        JournalHistory(tracking.journal, [n.name for n in pipeline.graph.nodes]),
        fingerprints,
        force=force,
        free_outputs=free_outputs,
        early_cutoff=tracking.early_cutoff and tracking.incremental,
    )
    if not tracking.incremental:
        for decision in decisions:
            decision.reason = "incremental runs are off"
    elif isinstance(tracking.force, Mapping):
        for n, decision in zip(pipeline.graph.nodes, decisions, strict=True):
            if decision.forced and n.name in tracking.force:
                decision.reason = tracking.force[n.name]
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
        measures_memory: bool = False,
        decisions: Sequence[Decision],
        datasets: Mapping[str, Dataset],
    ) -> None:
        self.journal = tracking.journal
        self.run_id = run_id
        self.pipeline = pipeline
        self.decisions = {n.name: d for n, d in zip(pipeline.graph.nodes, decisions, strict=True)}
        self.datasets = datasets
        self.cuts_off = any(d.awaits for d in decisions)  # see `cut_off`
        self._decision_list = list(decisions)
        self._cut: set[str] = set()  # nodes skipped by `cut_off`
        self._waits_for: dict[str, int] = {}  # node set aside by `cut_off` -> what it awaits
        self.memory: dict[str, str | None] = {}  # in-memory dataset -> its fingerprint
        self.saved: dict[str, str | None] = {}  # persisted dataset saved -> its fingerprint
        self.recorded: set[str] = set()
        self._running: dict[str, tuple[NodeJob, float]] = {}  # submitted, not done: when
        self._pending: list[NodeRecord] = []
        self._must_commit = False
        self._peak: int | None = None  # the last reading of the process's peak memory
        self._in_process = not measures_memory  # so this process's peak covers the nodes
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
                resumes=info.resumes,
            )
        )
        _warn_if_not_alone(self.journal, run_id, info.pipeline)

    def skipped(self) -> None:
        """Record every skipped node, with the fingerprints of its in-memory outputs."""
        for n in self.pipeline.graph.nodes:
            decision = self.decisions[n.name]
            if decision.runs:
                continue
            for name in n.outputs:
                if not self.datasets[name].persistent:
                    self.memory[name] = memory_fingerprint(decision, name)
            self._add(self._record(n, decision, "skipped"))
        self._flush()

    def done(self, done: Done) -> None:
        """Record a node that ran (successfully or not), to be committed by `commit`."""
        job = done.job
        n = job.node
        del self._running[n.name]
        if not done.started:  # dropped by the executor: recorded as not reached by `finish`
            return
        ended_at = time.time() if job.ended is None else job.ended
        if done.error is not None:
            self._add(self._stopped(job, "failed", job.started, ended_at, error_text(done.error)))
            self._must_commit = True
            return
        decision = _with_partitions(self.decisions[n.name], job)
        started, ended, duration = _timing(job.started, ended_at)
        inputs, datasets, persisted = self._datasets(n, decision)
        peak = job.peak_memory  # `_node_peak`, inline: this is every node's path
        if peak is None and self._in_process:
            peak = self._process_peak(duration)
        self._add(
            self._record(
                n,
                decision,
                "ran",
                inputs=inputs,
                datasets=datasets,
                started=started,
                ended=ended,
                duration=duration,
                peak_memory=peak,
                attempts=job.attempts,
            )
        )
        if persisted or not n.outputs:
            self._must_commit = True

    def cut_off(self, n: Node, *, may_wait: bool = False) -> bool | None:
        """Whether to skip ``n`` now that it is ready (early cutoff, see `_cutoff`); None
        when that cannot be told yet and ``n`` may wait (another node can start instead).

        The first node of a group decides for the group: its members are recorded as
        skipped at once, and skipped as they become ready.
        """
        if n.name in self._cut:
            return True
        decision = self.decisions[n.name]
        if not decision.awaits and not decision.feeds:
            return False
        graph = self.pipeline.graph
        blocker = self._waits_for.get(n.name)
        if may_wait and blocker is not None and graph.nodes[blocker].name not in self.recorded:
            return None  # what it waited for has not finished: the answer would be the same
        verdict = skippable_group(
            graph.position[n.name],
            graph,
            self._decision_list,
            self.datasets,
            current=self._current_fingerprint,
            settled=lambda index: graph.nodes[index].name in self.recorded,
            may_wait=may_wait,
        )
        if verdict.waits_for is not None:
            self._waits_for[n.name] = verdict.waits_for
            return None
        for index in verdict.must_run:
            must_run = self.decisions[graph.nodes[index].name]
            must_run.awaits, must_run.feeds = {}, False
        if not verdict.inputs:
            return False
        self.memory.update(verdict.memory)
        for index, inputs in verdict.inputs.items():
            member = graph.nodes[index]
            self._cut.add(member.name)
            skipped = self.decisions[member.name]
            skipped.runs = False
            skipped.reason = _cut_reason(skipped)
            self._add(self._record(member, skipped, "skipped", inputs=inputs))
        return True

    def heartbeat(self) -> Heartbeat:
        """The run's heartbeat, to keep while its nodes run (see `_heartbeat`)."""
        return Heartbeat(self.journal, self.run_id)

    def submitted(self, job: NodeJob) -> None:
        """Note that ``job``'s node is starting (see `finish`)."""
        self._running[job.node.name] = (job, time.time())

    def finish(self, status: str, error: str | None = None) -> None:
        """Record the nodes that did not finish, then the run's end.

        A node still running (the run was interrupted, or stopped by an error outside the
        nodes) is recorded as ``interrupted``, with how long it ran and, for a partitionwise
        node run in this process, how many partitions it computed; the others as
        ``not_reached``.
        """
        ended_at = time.time()
        for n in self.pipeline.graph.nodes:
            if n.name in self._running:
                job, submitted = self._running[n.name]
                started_at = submitted if job.started is None else job.started
                self._add(self._stopped(job, "interrupted", started_at, ended_at, error))
            elif n.name not in self.recorded:
                self._add(self._record(n, self.decisions[n.name], "not_reached"))
        self._flush()
        self.journal.finish_run(self.run_id, status, error=error)  # type: ignore[arg-type]

    def commit(self) -> None:
        """Write the pending records in one transaction, if one of them must be durable.

        The scheduler calls this before it starts new nodes. A pending record must be
        committed then when its node saved persisted data, failed, or has no outputs: after
        a crash, such a node must not run again. Nodes whose outputs all stayed in memory
        can wait for the next such record (committed with it, in order) or the run's end:
        if the process dies first, their data is lost with it, and any node that still
        needs it makes them run again anyway.
        """
        if self._pending and self._must_commit:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            # Written and forgotten together: a Ctrl-C between the two, once the records
            # are committed, would have `finish` write them a second time.
            with signals_held():
                self.journal.record_nodes(self.run_id, self._pending)
                self._pending = []
        self._must_commit = False

    # -- building records -----------------------------------------------------------------

    def _current_fingerprint(self, name: str) -> str | None:
        """A dataset's fingerprint now: as saved in this run, else as stored; for data in
        memory, that of what produced it in this run."""
        if name in self.saved:
            return self.saved[name]
        if name in self.memory:
            return self.memory[name]
        return self.datasets[name].run_fingerprint()

    def _add(self, record: NodeRecord) -> None:
        self.recorded.add(record.node_name)
        self._pending.append(record)

    def _datasets(
        self, n: Node, decision: Decision
    ) -> tuple[dict[str, str | None], tuple[DatasetRecord, ...], bool]:
        """The fingerprints of a finished node's inputs, the datasets it loaded and saved,
        and whether it saved any data to storage."""
        inputs: dict[str, str | None] = {}
        datasets: list[DatasetRecord] = []
        persisted = False
        for name in dict.fromkeys(n.inputs):
            if is_parameter(name):
                continue
            dataset = self.datasets[name]
            if dataset.persistent:
                fingerprint = dataset.run_fingerprint()
                datasets.append(DatasetRecord(name, "load", dataset.current_version(), fingerprint))
            elif name in self.memory:  # produced in memory during this run
                fingerprint = self.memory[name]
            else:  # given in memory: only the catalog entry can vouch for it
                fingerprint = dataset.run_fingerprint()
            inputs[name] = fingerprint
        for name in n.outputs:
            dataset = self.datasets[name]
            if dataset.persistent:
                persisted = True
                fingerprint = self.saved[name] = dataset.run_fingerprint()
                datasets.append(
                    DatasetRecord(name, "save", dataset.current_version(), fingerprint, True)
                )
            else:
                fingerprint = memory_fingerprint(decision, name, inputs)
                self.memory[name] = fingerprint
                datasets.append(DatasetRecord(name, "save", None, fingerprint, False))
        return inputs, tuple(datasets), persisted

    def _node_peak(self, job: NodeJob, duration: float | None) -> int | None:
        """The peak memory to record for ``job``'s node: as its executor measured it, else,
        when the node ran in this process, the process's peak so far (unknown for a node
        whose worker process died, or was stopped before it reported)."""
        if job.peak_memory is not None:
            return job.peak_memory
        return self._process_peak(duration) if self._in_process else None

    def _process_peak(self, duration: float | None) -> int | None:
        """The process's peak memory so far, read again after nodes of 1 ms or more.

        A node quicker than that cannot have raised the peak by more than a few megabytes
        (memory is not touched faster), so it reports the last reading: reading the peak
        costs a system call, as much as a trivial node's whole record.
        """
        if duration is None or duration >= _PEAK_READ_AFTER or self._peak is None:
            self._peak = _peak_memory()
        return self._peak

    def _stopped(
        self,
        job: NodeJob,
        status: NodeStatus,
        started_at: float | None,
        ended_at: float,
        error: str | None,
    ) -> NodeRecord:
        """The record of a node that failed or was interrupted: no data, but its timing,
        peak memory, attempts and error."""
        started, ended, duration = _timing(started_at, ended_at)
        return self._record(
            job.node,
            _with_partitions(self.decisions[job.node.name], job),
            status,
            started=started,
            ended=ended,
            duration=duration,
            peak_memory=self._node_peak(job, duration),
            attempts=job.attempts,
            error=error,
        )

    def _record(
        self,
        n: Node,
        decision: Decision,
        status: NodeStatus,
        *,
        inputs: Mapping[str, str | None] | None = None,
        datasets: tuple[DatasetRecord, ...] = (),
        started: datetime | None = None,
        ended: datetime | None = None,
        duration: float | None = None,
        peak_memory: int | None = None,
        attempts: int = 0,
        error: str | None = None,
    ) -> NodeRecord:
        return NodeRecord(
            n.name,
            status,
            decision.reason,
            started,
            ended,
            duration,
            peak_memory,
            attempts,
            decision.code.digest,
            decision.code.components,
            _combined(decision.params),
            (
                {**decision.params, **decision.param_parts}
                if decision.param_parts
                else decision.params
            ),
            decision.inputs if inputs is None else inputs,
            decision.catalog,
            datasets,
            error,
        )


def _warn_if_not_alone(journal: Journal, run_id: str, pipeline: str) -> None:
    """Warn when another run of ``pipeline`` is running: the two may compute the same nodes
    and write the same datasets at once (say, a scheduled run that starts before the
    previous one ended). Runs of other pipelines are let be: they often share nothing."""
    # This run is among the newest two running (it has just started): if another one runs,
    # one of the two is another. Crashed runs stay out, and only two runs' nodes are counted.
    others = [r for r in journal.runs(2, "running", pipeline) if r.run_id != run_id]
    if not others:
        return
    other = journal.run(others[0].run_id, nodes=False)
    _log.warning(
        "Run %s of pipeline %r is running too (%s): both runs may compute the same nodes "
        "and write the same datasets. To run alone, stop this run (Ctrl-C) and start it "
        "again once that one has ended.",
        other.run_id,
        pipeline,
        other.process_text(),
    )


def _with_partitions(decision: Decision, job: NodeJob) -> Decision:
    """``decision``, its reason amended with how much of a partitionwise job was computed
    (``"forced; computed 300 of 1000 partitions"``), for the record and the run's summary."""
    if job.partitions is not None:
        decision.reason = f"{decision.reason}; {job.partitions.summary()}"
    return decision


def _timing(
    started_at: float | None, ended_at: float
) -> tuple[datetime | None, datetime, float | None]:
    """A job's start and end (``time.time()`` values) as datetimes, and its duration (None
    when its start is unknown)."""
    if started_at is None:
        return None, datetime.fromtimestamp(ended_at, UTC), None
    started = datetime.fromtimestamp(started_at, UTC)
    return started, datetime.fromtimestamp(ended_at, UTC), max(0.0, ended_at - started_at)


def _combined(params: Mapping[str, str | None]) -> str | None:
    if not params:
        return _NO_PARAMS
    if any(v is None for v in params.values()):
        return None
    digest = hashlib.blake2b(digest_size=16)
    for name, value in sorted(params.items()):
        digest.update(f"{name}={value}\0".encode())
    return digest.hexdigest()


if sys.platform == "win32":  # pragma: no cover - no resource module

    def _peak_memory() -> int | None:
        """The peak resident memory of this process so far (unknown here)."""
        return None

else:
    import resource

    def _peak_memory() -> int | None:
        """The peak resident memory of this process so far, in bytes."""
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT


_NO_PARAMS: Final = hashlib.blake2b(digest_size=16).hexdigest()  # `_combined` of no parameter


def _cut_reason(decision: Decision) -> str:
    """Why a node was cut off, in words."""
    awaited = list(decision.awaits)
    if not awaited:  # it ran only to feed nodes that were cut off with it
        return "unchanged: the nodes that needed its in-memory output were cut off"
    plural = "s" if len(awaited) > 1 else ""
    return f"unchanged: upstream reruns left input{plural} {quoted(awaited)} unchanged"
