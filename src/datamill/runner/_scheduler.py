"""The one scheduling loop behind every executor.

The loop keeps, for each node, the number of parent nodes that have not finished yet, and
for each dataset the number of consumers that have not finished yet. When a job finishes,
only its children's counters and its inputs' counters change: a node becomes ready when its
counter reaches zero, and an intermediate dataset is released when its counter does. Ready
nodes wait in a heap ordered by topological position, so the sequential executor runs the
pipeline in its topological order. Nothing ever rescans the pending nodes.

A node may be skipped at the last moment: when it is ready, ``skip`` is asked, and a node it
skips counts as finished without running (early cutoff, see `_cutoff`). While another ready
node can take its slot, ``skip`` may also answer that it cannot tell yet: the node is then
set aside, and asked again once a job has finished or a slot is free with nothing else ready.

On the first failure no new job starts; the jobs already running finish (and their results
are kept); then the outcome reports every failure.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from datamill.pipeline import PipelineGraph
from datamill.runner._executors import Done, Executor
from datamill.runner._job import NodeJob

__all__ = ["DataTracker", "Outcome", "schedule"]


@dataclass(frozen=True, slots=True)
class DataTracker:
    """Datasets numbered as slots, for counting consumers without dictionary look-ups.

    Attributes:
        inputs_of: For each node index, the slots of its distinct inputs.
        consumer_counts: For each slot, how many nodes consume it.
        release: For each slot, what to call once its last consumer finished (``None`` to
            keep the data, e.g. the pipeline's own inputs held in memory).
    """

    inputs_of: Sequence[Sequence[int]]
    consumer_counts: Sequence[int]
    release: Sequence[Callable[[], None] | None]


@dataclass(slots=True)
class Outcome:
    """What happened to each node of a run.

    Attributes:
        finished: Indices of the nodes that completed or were skipped, in that order.
        failures: The failed jobs, in the order they were reported.
    """

    finished: list[int] = field(default_factory=list)
    failures: list[Done] = field(default_factory=list)


def schedule(
    graph: PipelineGraph,
    executor: Executor,
    make_job: Callable[[int], NodeJob],
    data: DataTracker,
    *,
    on_done: Callable[[Done], None] | None = None,
    before_submit: Callable[[], None] | None = None,
    on_submit: Callable[[NodeJob], None] | None = None,
    skip: Callable[[int, bool], bool | None] | None = None,
) -> Outcome:
    """Run every node of ``graph`` on ``executor``, respecting dependencies.

    Args:
        graph: The pipeline's graph.
        executor: Where jobs run (already started).
        make_job: Builds the job of node ``i``.
        data: Which datasets each node consumes, and what to release when.
        on_done: Called in this thread with each job the executor reports, as soon as it
            does (before the job's inputs are released): ran, failed, or dropped unrun
            (``started`` false).
        before_submit: Called before new jobs are submitted after jobs finished (the
            journal commits there, so every node that finished before a node starts is
            recorded before it starts).
        on_submit: Called in this thread with each job just before it is submitted (the
            journal notes which nodes are running, should the run be interrupted).
        skip: Called in this thread with each node that is ready to start, and whether
            it may wait (another node is ready to start instead); True skips it (it counts
            as finished, and its children may start), None (only when it may wait) asks
            again later.
    """
    waiting = [len(p) for p in graph.parents]
    ready = [i for i, w in enumerate(waiting) if w == 0]  # ascending: already a heap
    children = graph.children
    pending_consumers = list(data.consumer_counts)
    outcome = Outcome()
    running = 0
    capacity = executor.capacity
    undecided: list[int] = []  # ready nodes `skip` could not decide yet

    def finished(index: int) -> None:
        outcome.finished.append(index)
        for child in children[index]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
        for slot in data.inputs_of[index]:
            pending_consumers[slot] -= 1
            if pending_consumers[slot] == 0:
                release = data.release[slot]
                if release is not None:
                    release()

    while running or ((ready or undecided) and not outcome.failures):
        if undecided:
            _ask_again(ready, undecided)  # what they waited for may have finished
        if before_submit is not None:
            before_submit()
        while not outcome.failures and running < capacity:
            index = _next_to_start(ready, undecided, skip, finished)
            if index is None:
                break
            running += 1
            job = make_job(index)
            if on_submit is not None:
                on_submit(job)
            executor.submit(job, running == 1 and not ready and not undecided)
        if not running:  # every ready node was skipped, and nothing else can start
            break
        for done in executor.wait():
            running -= 1
            if on_done is not None:
                on_done(done)
            if not done.started:
                continue
            if done.error is not None:
                outcome.failures.append(done)
                continue
            finished(done.job.index)
    return outcome


def _next_to_start(
    ready: list[int],
    undecided: list[int],
    skip: Callable[[int, bool], bool | None] | None,
    finished: Callable[[int], None],
) -> int | None:
    """Pop the next ready node that is not skipped (None if there is none): ``skip`` may
    set a node aside in ``undecided`` while another is ready, and a node it skips is
    ``finished`` at once."""
    while ready or undecided:
        if not ready:
            _ask_again(ready, undecided)  # a slot is free, nothing else is ready: one decides
        index = heapq.heappop(ready)
        if skip is None:
            return index
        verdict = skip(index, bool(ready))
        if verdict is None:
            undecided.append(index)
        elif verdict:
            finished(index)
        else:
            return index
    return None


def _ask_again(ready: list[int], undecided: list[int]) -> None:
    for index in undecided:
        heapq.heappush(ready, index)
    undecided.clear()
