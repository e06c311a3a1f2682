"""The dependency graph of a set of nodes, built once per pipeline in linear time.

Building the graph validates it: duplicate node names and datasets produced by two nodes
are collected as problems, and a cycle is reported as a path. The topological order is
computed with Kahn's algorithm; nodes are then bucketed by their depth (their *layer*) in
the order they were given, so the order is deterministic without any sorting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any

from datamill.pipeline._node import Node


@dataclass(frozen=True, slots=True)
class PipelineGraph:
    """Index-based view of a pipeline's dependencies, for schedulers and tools.

    Attributes:
        nodes: Every node, in topological order (index ``i`` is node ``nodes[i]``).
        parents: For each node index, the indices of the nodes producing its inputs.
        children: For each node index, the indices of the nodes consuming its outputs.
        layers: Node indices grouped by depth; nodes in one layer are independent.
        position: Node name to index.
        producer: Dataset name to the index of the node producing it.
        consumers: Dataset name to the indices of the nodes consuming it, in order.
    """

    nodes: tuple[Node, ...]
    parents: tuple[tuple[int, ...], ...]
    children: tuple[tuple[int, ...], ...]
    layers: tuple[tuple[int, ...], ...]
    position: Mapping[str, int]
    producer: Mapping[str, int]
    consumers: Mapping[str, tuple[int, ...]]

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only mapping proxies cannot be pickled: rebuild them from plain dicts.
        state = {
            "nodes": self.nodes,
            "parents": self.parents,
            "children": self.children,
            "layers": self.layers,
            "position": dict(self.position),
            "producer": dict(self.producer),
            "consumers": dict(self.consumers),
        }
        return (_graph, (state,))


def _graph(state: dict[str, Any]) -> PipelineGraph:
    """Build a graph from plain fields, wrapping its mappings in read-only proxies."""
    return PipelineGraph(
        nodes=state["nodes"],
        parents=state["parents"],
        children=state["children"],
        layers=state["layers"],
        position=MappingProxyType(state["position"]),
        producer=MappingProxyType(state["producer"]),
        consumers=MappingProxyType(state["consumers"]),
    )


@dataclass(frozen=True, slots=True)
class _Index:
    producer: dict[str, Node]
    consumers: dict[str, list[Node]]
    problems: list[str]
    offenders: list[str]  # names of the nodes the problems are about


def index_datasets(nodes: Sequence[Node]) -> _Index:
    """Map datasets to their producer and consumers, collecting naming problems."""
    by_name: dict[str, Node] = {}
    producer: dict[str, Node] = {}
    consumers: dict[str, list[Node]] = {}
    problems: list[str] = []
    offenders: list[str] = []
    for n in nodes:
        if by_name.setdefault(n.name, n) is not n:
            problems.append(
                f"Two different nodes are named {n.name!r} ({by_name[n.name].func_name} and "
                f"{n.func_name}); give one of them another name= or a namespace."
            )
            offenders.append(n.name)
        for out in n.outputs:
            first = producer.setdefault(out, n)
            if first is not n:
                problems.append(
                    f"Dataset {out!r} is produced by two nodes, {first.name!r} and {n.name!r}; "
                    "a dataset must have exactly one producer. Rename one of the outputs."
                )
                offenders.extend((first.name, n.name))
        for inp in dict.fromkeys(n.inputs):
            consumers.setdefault(inp, []).append(n)
    return _Index(producer, consumers, problems, offenders)


def build_graph(nodes: Sequence[Node], index: _Index) -> PipelineGraph | list[Node]:
    """Return the graph, or the nodes of a cycle (first node repeated at the end)."""
    pos = {n: i for i, n in enumerate(nodes)}
    parents: list[tuple[int, ...]] = []
    children: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        ps = tuple(dict.fromkeys(pos[index.producer[d]] for d in n.inputs if d in index.producer))
        parents.append(ps)
        for p in ps:
            children[p].append(i)
    depth = _depths(parents, children)
    if depth is None:
        return _find_cycle(nodes, parents)
    return _ordered_graph(nodes, parents, children, depth, index)


def _depths(parents: list[tuple[int, ...]], children: list[list[int]]) -> list[int] | None:
    waiting = [len(p) for p in parents]
    depth = [0] * len(parents)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for c in children[i]:
            depth[c] = max(depth[c], depth[i] + 1)
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return depth if done == len(parents) else None


def _ordered_graph(
    nodes: Sequence[Node],
    parents: list[tuple[int, ...]],
    children: list[list[int]],
    depth: list[int],
    index: _Index,
) -> PipelineGraph:
    buckets: list[list[int]] = [[] for _ in range(max(depth, default=-1) + 1)]
    for i, d in enumerate(depth):
        buckets[d].append(i)
    order = [i for bucket in buckets for i in bucket]
    new = {old: new for new, old in enumerate(order)}
    ordered = tuple(nodes[i] for i in order)
    position = {n.name: i for i, n in enumerate(ordered)}
    consumers = index.consumers.items()
    return _graph(
        {
            "nodes": ordered,
            "parents": tuple(tuple(new[p] for p in parents[i]) for i in order),
            "children": tuple(tuple(new[c] for c in children[i]) for i in order),
            "layers": tuple(tuple(new[i] for i in bucket) for bucket in buckets),
            "position": position,
            "producer": {d: position[n.name] for d, n in index.producer.items()},
            "consumers": {d: tuple(sorted(position[n.name] for n in ns)) for d, ns in consumers},
        }
    )


def _find_cycle(nodes: Sequence[Node], parents: list[tuple[int, ...]]) -> list[Node]:
    # Nodes left over by Kahn's algorithm all have a parent that is left over too, so
    # walking up from any of them must revisit a node: that stretch is a cycle.
    waiting = _unfinished(parents)
    start = next(i for i in range(len(nodes)) if waiting[i])
    seen: dict[int, int] = {}
    walk: list[int] = []
    current = start
    while current not in seen:
        seen[current] = len(walk)
        walk.append(current)
        current = next(p for p in parents[current] if waiting[p])
    cycle = walk[seen[current] :]
    cycle.reverse()  # we walked against the edges
    return [nodes[i] for i in (*cycle, cycle[0])]


def _unfinished(parents: list[tuple[int, ...]]) -> list[bool]:
    children: list[list[int]] = [[] for _ in parents]
    for i, ps in enumerate(parents):
        for p in ps:
            children[p].append(i)
    waiting = [len(p) for p in parents]
    ready = [i for i, w in enumerate(waiting) if w == 0]
    while ready:
        i = ready.pop()
        for c in children[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return [w > 0 for w in waiting]


def describe_cycle(cycle: list[Node]) -> str:
    """Render a cycle as ``a -[x]-> b -[y]-> a``, naming the dataset on each edge."""
    parts = [repr(cycle[0].name)]
    for parent, child in pairwise(cycle):
        via = next(d for d in child.inputs if d in parent.outputs)
        parts.append(f"-[{via}]-> {child.name!r}")
    return " ".join(parts)
