"""Early cutoff: skipping, during a run, nodes whose recomputed inputs came out unchanged.

The plan (`_incremental`) marks a node that runs only because some inputs are recomputed in
the run, everything else about it being as at its last success, with the fingerprints those
inputs had then (`Decision.awaits`). When such a node is ready to start, its inputs are known:
if each has its old fingerprint, the node's outputs would be what they are, and it is
skipped.

A node whose outputs stay in memory cannot be skipped alone: its consumers would have no
data. It is skipped together with them, as one group: the node, the running consumers of
its in-memory outputs, theirs, and so on. The group is skipped when every member's inputs
come out unchanged, assuming the members skipped (their in-memory outputs then keep the
fingerprint of what would produce them, and their files stay as they are). A member may
also be an unchanged node that runs only to feed members from memory (`Decision.feeds`):
it is skipped with them. The group is decided when its first member is ready. If a member
waits for a node outside the group that has not finished yet, the group cannot be decided:
the first member is set aside while another node can start instead (``may_wait``), and
otherwise runs (what runs is never guessed). A node that must run makes the members whose
in-memory data it needs run too: they are not asked again, so deciding costs each node of
a run about one visit (and a node set aside, one more each time what it waited for ends).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datamill.io import AbstractDataset
from datamill.pipeline import PipelineGraph
from datamill.runner._incremental import Decision, memory_fingerprint

__all__ = ["GroupVerdict", "skippable_group"]

Dataset = AbstractDataset[Any, Any]


@dataclass(frozen=True, slots=True)
class GroupVerdict:
    """Whether the nodes of a group are skipped, and what they read and keep in memory.

    Attributes:
        inputs: When the group is skipped, each member (by index, in topological order)
            with the fingerprint of each input; empty when it is not.
        memory: When the group is skipped, the fingerprint of each in-memory output of the
            members.
        must_run: When the group is not skipped, the members that cannot be skipped later
            in the run either: those whose in-memory data a member that must run needs.
        waits_for: When the group cannot be decided yet (only when its first member may
            wait): a node outside the group, not finished yet, whose output a member reads.
            Asking again before it finishes would give the same answer.
    """

    inputs: dict[int, dict[str, str | None]] = field(default_factory=dict)
    memory: dict[str, str | None] = field(default_factory=dict)
    must_run: frozenset[int] = frozenset()
    waits_for: int | None = None


def skippable_group(
    start: int,
    graph: PipelineGraph,
    decisions: Sequence[Decision],
    datasets: Mapping[str, Dataset],
    *,
    current: Callable[[str], str | None],
    settled: Callable[[int], bool],
    may_wait: bool = False,
) -> GroupVerdict:
    """Whether node ``start`` is skipped, with the group it belongs to.

    Args:
        start: A node that is ready to start, with ``decisions[start].awaits`` not empty
            or ``decisions[start].feeds`` true.
        graph: The planned pipeline's graph (``decisions`` follows its order).
        decisions: Each node's decision.
        datasets: Every dataset, by name.
        current: A dataset's fingerprint now (as saved in the run, or as stored, or that of
            its producer for in-memory data).
        settled: Whether a node finished or was skipped.
        may_wait: ``start`` may wait: when the group cannot be decided yet, say so rather
            than make ``start`` run.
    """
    if any(current(name) != before for name, before in decisions[start].awaits.items()):
        return GroupVerdict(must_run=frozenset({start}))  # the common case: decided at once
    group, fed_by = _memory_closure(start, graph, decisions, datasets)
    assumed: dict[str, str | None] = {}  # in-memory outputs of the members, if skipped
    inputs_of: dict[int, dict[str, str | None]] = {}
    for member in sorted(group):  # topological order
        decision = decisions[member]
        if not decision.awaits and not decision.feeds:  # it runs whatever its inputs are
            return GroupVerdict(must_run=_feeding(member, fed_by))
        parents = graph.parents[member]
        blocker = next((p for p in parents if p not in group and not settled(p)), None)
        if blocker is not None:
            # Its inputs are not all known yet: it may still be skipped once they are.
            if may_wait:
                return GroupVerdict(waits_for=blocker)
            return GroupVerdict(must_run=_feeding(member, fed_by) - {member})
        now: dict[str, str | None] = {}
        for name, before in decision.awaits.items():
            now[name] = assumed[name] if name in assumed else current(name)
            if now[name] != before:
                return GroupVerdict(must_run=_feeding(member, fed_by))
        inputs = inputs_of[member] = {**decision.inputs, **now}
        for name in graph.nodes[member].outputs:
            if not datasets[name].persistent:
                assumed[name] = memory_fingerprint(decision, name, inputs)
    return GroupVerdict(inputs_of, assumed)


def _memory_closure(
    start: int,
    graph: PipelineGraph,
    decisions: Sequence[Decision],
    datasets: Mapping[str, Dataset],
) -> tuple[set[int], dict[int, list[int]]]:
    """``start`` and, transitively, the running consumers of the members' in-memory outputs
    (a skipped consumer needs nothing); and for each member, the members whose in-memory
    outputs it reads."""
    group = {start}
    fed_by: dict[int, list[int]] = {}
    stack = [start]
    while stack:
        producer = stack.pop()
        for name in graph.nodes[producer].outputs:
            if datasets[name].persistent:
                continue
            for consumer in graph.consumers.get(name, ()):
                if not decisions[consumer].runs:
                    continue
                fed_by.setdefault(consumer, []).append(producer)
                if consumer not in group:
                    group.add(consumer)
                    stack.append(consumer)
    return group, fed_by


def _feeding(member: int, fed_by: Mapping[int, list[int]]) -> frozenset[int]:
    """``member`` and the members whose in-memory data it needs, transitively."""
    found = {member}
    stack = [member]
    while stack:
        for producer in fed_by.get(stack.pop(), ()):
            if producer not in found:
                found.add(producer)
                stack.append(producer)
    return frozenset(found)
