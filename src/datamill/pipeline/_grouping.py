"""Grouping nodes by namespace, the unit a deployment compiler turns into one task.

Nodes sharing the first ``level`` parts of their namespace form one group; a node without
a namespace is a group of its own. Groups depend on each other through the datasets their
nodes exchange. Grouping can create a cycle that the nodes alone do not have (group ``a``
feeds ``b``, which feeds another node of ``a``); that grouping cannot be deployed, so it is
rejected with the path of groups.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from datamill.errors import PipelineError
from datamill.pipeline._node import Node

if TYPE_CHECKING:
    from datamill.pipeline._pipeline import Pipeline

__all__ = ["NodeGroup", "group_by_namespace"]


@dataclass(frozen=True, slots=True)
class NodeGroup:
    """Nodes deployed together.

    Attributes:
        name: The namespace prefix, or the node name for a node without a namespace.
        nodes: The group's nodes, in topological order.
        depends_on: Names of the groups producing this group's inputs.
    """

    name: str
    nodes: tuple[Node, ...]
    depends_on: frozenset[str]


def group_by_namespace(pipe: Pipeline, level: int = 1) -> dict[str, NodeGroup]:
    """Group the nodes of ``pipe`` by the first ``level`` parts of their namespace.

    Returns:
        Groups by name, in an order where each group comes after the groups it depends on.

    Raises:
        PipelineError: The grouping creates a cycle between groups.
    """
    if level < 1:
        raise ValueError(f"level must be at least 1, got {level}.")
    graph = pipe.graph
    key = [_group_key(n, level) for n in graph.nodes]
    _check_clashes(graph.nodes, key)
    members: dict[str, list[Node]] = {}
    deps: dict[str, dict[str, None]] = {}
    for i, n in enumerate(graph.nodes):
        members.setdefault(key[i], []).append(n)
        group_deps = deps.setdefault(key[i], {})
        group_deps.update((key[p], None) for p in graph.parents[i] if key[p] != key[i])
    order = _group_order(deps)
    return {g: NodeGroup(g, tuple(members[g]), frozenset(deps[g])) for g in order}


def _check_clashes(nodes: tuple[Node, ...], key: list[str]) -> None:
    namespaced = {k for n, k in zip(nodes, key, strict=True) if n.namespace is not None}
    clashes = sorted({n.name for n in nodes if n.namespace is None and n.name in namespaced})
    if clashes:
        names = ", ".join(map(repr, clashes))
        raise PipelineError(
            f"Node {names} has no namespace but the same name as a namespace, so grouping "
            "would merge unrelated nodes into one task; rename the node or the namespace.",
            problems=[f"Node {n!r} clashes with namespace {n!r}." for n in clashes],
            node_names=clashes,
        )


def _group_key(n: Node, level: int) -> str:
    if n.namespace is None:
        return n.name
    return ".".join(n.namespace.split(".")[:level])


def _group_order(deps: dict[str, dict[str, None]]) -> list[str]:
    children: dict[str, list[str]] = {g: [] for g in deps}
    waiting = {g: len(ds) for g, ds in deps.items()}
    for g, ds in deps.items():
        for d in ds:
            children[d].append(g)
    ready = deque(g for g, w in waiting.items() if w == 0)
    order: list[str] = []
    while ready:
        g = ready.popleft()
        order.append(g)
        for c in children[g]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if len(order) < len(deps):
        raise _cycle_error({g for g, w in waiting.items() if w > 0}, deps)
    return order


def _cycle_error(stuck: set[str], deps: dict[str, dict[str, None]]) -> PipelineError:
    current = next(iter(sorted(stuck)))
    walk: list[str] = []
    while current not in walk:
        walk.append(current)
        current = next(d for d in deps[current] if d in stuck)
    cycle = walk[walk.index(current) :]
    cycle.reverse()
    path = " -> ".join(repr(g) for g in (*cycle, cycle[0]))
    return PipelineError(
        f"Grouping nodes by namespace creates a cycle between groups: {path}. These groups "
        "cannot run as separate tasks; move the nodes that close the loop to another namespace "
        "or deploy with a finer level.",
        problems=[path],
    )
