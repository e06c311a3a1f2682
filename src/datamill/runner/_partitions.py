"""Partitionwise nodes: one call per input partition, each result committed and recorded.

A node made with ``node(..., partitionwise=True)`` reads a partitioned first input and
writes a partitioned output. The job (in the main process) decides which partitions to
compute: in a recorded run, every input partition gets a *key*, a digest of the node's code
fingerprint, its parameters' and other inputs' fingerprints, the catalog entries of its
persisted inputs and outputs (`Decision.catalog`), the partition id and that input
partition's own fingerprint. A partition whose key equals the one recorded in the journal
when it was last committed, and whose output file still has the fingerprint recorded then,
is not computed again. The others are computed one at a time (load, call, save, record), so
memory holds one partition, and a crash loses at most the partition in flight. Another
input kept in memory counts, as everywhere, by the fingerprint of what produced it, so a
partition computed from it is kept as long as its producer's code, parameters and inputs
are unchanged.

Keying on the input partition's own fingerprint (not the whole input's) means that adding
input partitions computes only the new ones, and changing one recomputes only that one.

A node that is not partitionwise may return (or yield) ``{partition_id: callable}`` for a
partitioned output: each such partition is keyed by the node's code, parameters, every
input and its id, so that after a crash a rerun with nothing changed computes only the
partitions not committed yet (`PartitionLedger.plan_returned`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import RunnerError
from datamill.io import AbstractDataset, DataCatalog
from datamill.journal import Journal
from datamill.pipeline import Node, Pipeline
from datamill.runner._incremental import Decision

__all__ = [
    "PartitionLedger",
    "PartitionPlan",
    "check_partitions",
    "log_summary",
    "partitionwise_problems",
    "returns_partitions_lazily",
]

Dataset = AbstractDataset[Any, Any]

_log = logging.getLogger("datamill.runner")


@dataclass(slots=True)
class PartitionPlan:
    """Which partitions of a partitionwise node's input a job computes, and their keys.

    Attributes:
        pending: The partitions to compute, by id (loaders or data), in id order.
        keys: Each input partition's key (None when it cannot be keyed: nothing is skipped).
        total: How many input partitions there are.
        committed: How many of them were committed earlier and are not computed again.
        done: How many were computed and committed in this job so far.
    """

    pending: dict[str, Any]
    keys: dict[str, str | None] = field(default_factory=dict)
    total: int = 0
    committed: int = 0
    done: int = 0

    def summary(self) -> str:
        """In words: ``"computed 300 of 1000 partitions (700 committed earlier)"``."""
        text = f"computed {self.done} of {self.total} partitions"
        return f"{text} ({self.committed} committed earlier)" if self.committed else text

    def add(self, other: PartitionPlan) -> None:
        """Count in the keys and totals of ``other``, the plan of a later chunk of the same
        job (its pending partitions are the caller's to compute)."""
        self.keys.update(other.keys)
        self.total += other.total
        self.committed += other.committed


class PartitionLedger:
    """Reads and writes a run's committed partitions in the journal.

    Args:
        journal: The run journal.
        run_id: The run recording the partitions (started in the journal).
        decisions: Each node's decision, by node name: its code, parameter and input
            fingerprints as known before the run.
        memory: The fingerprint of each in-memory dataset produced so far in this run (that
            of what produced it), kept up to date as nodes finish (`Recorder.memory`).

    A forced node computes every partition again, except those committed by this run and
    by the runs it resumes (through resumes of resumes, as the journal records them): those
    are the forced run's own work, being finished.
    """

    def __init__(
        self,
        journal: Journal,
        run_id: str,
        decisions: Mapping[str, Decision],
        memory: Mapping[str, str | None],
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.decisions = decisions
        self.memory = memory
        self._own_runs: set[str] | None = None  # see `own_runs`

    def plan(
        self,
        node: Node,
        inputs: Sequence[tuple[str, Dataset]],
        partitions: Mapping[str, Any],
        output: Dataset,
    ) -> PartitionPlan:
        """The partitions of ``partitions`` still to compute for ``node``.

        Args:
            node: The partitionwise node.
            inputs: Its ``(name, dataset)`` inputs; the first is the partitioned one.
            partitions: The loaded partitioned input, by partition id.
            output: Its output dataset.
        """
        source = dict(inputs)[node.inputs[0]]
        base = self._base_key(node, inputs[1:])  # the partitioned input counts by partition
        fingerprints = _partition_fingerprints(source)
        keys = {pid: _key(base, pid, fingerprints.get(pid)) for pid in partitions}
        return self._plan(node, output, keys, sorted(partitions.items()))

    def plan_returned(
        self,
        node: Node,
        inputs: Sequence[tuple[str, Dataset]],
        returned: Mapping[str, Any],
        output: Dataset,
    ) -> PartitionPlan:
        """The partitions of ``returned`` (what a node returned for its partitioned output,
        where each value may be a callable that computes it) still to compute and save.

        Such a partition is keyed by the node's code, parameters, every input and its
        partition id: after a crash, a rerun with nothing changed does not call again the
        callables of the partitions committed before it; any change computes them all.
        """
        base = self._base_key(node, inputs)
        keys = {pid: _key(base, pid, _RETURNED) for pid in returned}
        return self._plan(node, output, keys, returned.items())

    def _plan(
        self,
        node: Node,
        output: Dataset,
        keys: Mapping[str, str | None],
        parts: Iterable[tuple[str, Any]],
    ) -> PartitionPlan:
        """The plan of ``parts`` (partition id, data or callable), keyed by ``keys``: those
        committed earlier with their key are left out."""
        done = self._committed(node, output, keys)
        pending = {pid: part for pid, part in parts if pid not in done}
        return PartitionPlan(pending, dict(keys), total=len(keys), committed=len(done))

    def record(self, node: Node, output: Dataset, partition_id: str, key: str | None) -> None:
        """Record that ``node`` committed ``partition_id`` of its output."""
        fingerprint = output.partition_fingerprint(partition_id) if _partitioned(output) else None
        self.journal.record_partition(
            self.run_id,
            node.name,
            node.outputs[0],
            partition_id,
            key=key,
            fingerprint=fingerprint,
        )

    def _committed(self, node: Node, output: Dataset, keys: Mapping[str, str | None]) -> set[str]:
        if not _partitioned(output) or not any(keys.values()):
            return set()
        recorded = self.journal.committed_partitions(node.name, node.outputs[0])
        decision = self.decisions.get(node.name)
        if decision is not None and decision.forced:
            own = self.own_runs()
            recorded = {pid: past for pid, past in recorded.items() if past.run_id in own}
        if not recorded:
            return set()
        present = output.partition_fingerprints()
        return {
            pid
            for pid, key in keys.items()
            if key is not None
            and (past := recorded.get(pid)) is not None
            and past.key == key
            and past.fingerprint is not None
            and past.fingerprint == present.get(pid)
        }

    def own_runs(self) -> set[str]:
        """This run and the runs it resumes, through resumes of resumes."""
        if self._own_runs is None:
            self._own_runs = {self.run_id, *self.journal.resumed_runs(self.run_id)}
        return self._own_runs

    def _base_key(self, node: Node, inputs: Sequence[tuple[str, Dataset]]) -> str | None:
        """The digest of what every partition of ``node`` is computed from: its code, its
        parameters, the catalog entries and ``inputs`` (None when one is unknown)."""
        decision = self.decisions.get(node.name)
        if decision is None:
            return None
        # Inputs recomputed in this run were unknown when the run was planned: a stored one
        # has its fingerprint now, one in memory that of what produced it.
        others = {
            name: decision.inputs.get(name) or self._now(name, ds)
            for name, ds in inputs
            if name in decision.inputs
        }
        parts = [
            decision.code.digest,
            *_pairs(decision.params),
            *_pairs(others),
            *decision.catalog_lines(),
        ]
        if any(part is None for part in parts):
            return None  # something it depends on cannot be fingerprinted: never skip
        return _digest(parts)

    def _now(self, name: str, dataset: Dataset) -> str | None:
        if dataset.persistent:
            return dataset.run_fingerprint()
        return self.memory.get(name)


def partitionwise_problems(pipeline: Pipeline, catalog: DataCatalog) -> list[str]:
    """Why a partitionwise node of ``pipeline`` cannot run (its output's dataset)."""
    problems = []
    for n in pipeline.nodes:
        if not n.partitionwise:
            continue
        output = catalog.get(n.outputs[0])
        if not isinstance(output, PartitionedDataset):
            kind = "undeclared (memory)" if output is None else f"a {type(output).__name__}"
            problems.append(
                f"node {n.name!r} is partitionwise, but its output {n.outputs[0]!r} is {kind} "
                "dataset; declare it as a partitions.PartitionedDataset."
            )
        elif output.overwrite:
            problems.append(
                f"node {n.name!r} is partitionwise, but its output {n.outputs[0]!r} has "
                "overwrite: true, which would delete the other partitions at each one saved; "
                "remove overwrite."
            )
    return problems


def check_partitions(node: Node, value: object) -> Mapping[str, Any]:
    """The partitioned input's value, checked to be a mapping of partition id to data."""
    if not isinstance(value, Mapping):
        raise RunnerError(
            f"Node {node.name!r} is partitionwise, but its first input {node.inputs[0]!r} "
            f"loaded a {type(value).__name__}, not a mapping of partition id to data; make it "
            "a partitions.PartitionedDataset.",
            node_name=node.name,
        )
    return value


def log_summary(node: Node, plan: PartitionPlan) -> None:
    """Say on the ``datamill.runner`` logger how many partitions the node computed."""
    _log.info("node %s %s", node.name, plan.summary())


def returns_partitions_lazily(dataset: Dataset, value: object) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``value``, to be saved to ``dataset``, holds partitions computed on demand:
    the dataset is partitioned (without ``overwrite``, which removes the partitions a save
    leaves out) and ``value`` is a mapping with callables among its values."""
    return (
        _partitioned(dataset)  # first: the one check on every other node's path
        and not dataset.overwrite
        and isinstance(value, Mapping)
        and any(callable(part) for part in value.values())
    )


def _partitioned(dataset: Dataset) -> TypeGuard[PartitionedDataset]:
    return isinstance(dataset, PartitionedDataset)


def _partition_fingerprints(dataset: Dataset) -> dict[str, str]:
    return dataset.partition_fingerprints() if _partitioned(dataset) else {}


_RETURNED = "returned"
"""Stands for the input partition's fingerprint in the key of a partition a node returned."""


def _key(base: str | None, partition_id: str, fingerprint: str | None) -> str | None:
    if base is None or fingerprint is None:
        return None
    return _digest([base, partition_id, fingerprint])


def _pairs(values: Mapping[str, str | None]) -> list[str | None]:
    return [None if v is None else f"{k}={v}" for k, v in sorted(values.items())]


def _digest(parts: list[str | None]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(f"{part}\0".encode())
    return f"partition:{digest.hexdigest()}"
