"""Pipelines: immutable, validated sets of nodes with set algebra and slicing.

A pipeline computes its dependency graph once, at construction, and every question asked
of it afterwards (inputs, outputs, topological order, layers, slices) is answered from that
graph in time linear in nodes plus edges. Transformations return new pipelines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from datamill._text import did_you_mean
from datamill.errors import PipelineError
from datamill.pipeline._graph import (
    PipelineGraph,
    build_graph,
    describe_cycle,
    index_datasets,
)
from datamill.pipeline._node import Node, is_parameter

if TYPE_CHECKING:
    from datamill.pipeline._grouping import NodeGroup

__all__ = ["Pipeline"]


class Pipeline:
    """An immutable set of nodes forming a directed acyclic graph through their datasets.

    Args:
        nodes: Nodes and pipelines (flattened); a node given twice counts once.
        tags: Tags added to every node.

    Raises:
        PipelineError: Two different nodes share a name, a dataset has two producers, or the
            nodes form a cycle. Every problem is reported at once.

    Example:
        >>> from datamill import node
        >>> p = Pipeline([node(len, "words", "count")])
        >>> sorted(p.inputs()), sorted(p.outputs())
        (['words'], ['count'])
    """

    def __init__(
        self, nodes: Iterable[Node | Pipeline] = (), *, tags: str | Iterable[str] | None = None
    ) -> None:
        unique = _flatten(nodes)
        if tags:
            unique = [
                n.with_changes(tags=[tags] if isinstance(tags, str) else tags) for n in unique
            ]
        self._graph = _validated_graph(unique)

    # -- basic protocol ----------------------------------------------------------------

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node, in topological order."""
        return self._graph.nodes

    @property
    def graph(self) -> PipelineGraph:
        """The index-based dependency graph (for schedulers, visualisers, compilers)."""
        return self._graph

    @property
    def layers(self) -> tuple[tuple[Node, ...], ...]:
        """Nodes grouped by depth: each layer depends only on earlier layers."""
        return self._layers

    @cached_property
    def _layers(self) -> tuple[tuple[Node, ...], ...]:
        nodes = self._graph.nodes
        return tuple(tuple(nodes[i] for i in layer) for layer in self._graph.layers)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pipeline, (list(self._graph.nodes),))

    def __len__(self) -> int:
        return len(self._graph.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._graph.nodes)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Node):
            return item in self._node_set
        return isinstance(item, str) and item in self._graph.position

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._node_set == other._node_set

    def __hash__(self) -> int:
        return hash(self._node_set)

    def __repr__(self) -> str:
        names = ", ".join(repr(n.name) for n in self.nodes[:5])
        more = f", ... ({len(self)} nodes)" if len(self) > 5 else ""
        return f"Pipeline([{names}{more}])"

    @cached_property
    def _node_set(self) -> frozenset[Node]:
        return frozenset(self._graph.nodes)

    # -- set algebra -------------------------------------------------------------------

    def __add__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline([self, other])

    def __radd__(self, other: object) -> Pipeline:
        if other == 0:  # lets sum() start from its default 0
            return self
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline([other, self])

    def __or__(self, other: object) -> Pipeline:
        return self.__add__(other)

    def __sub__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._subset(n for n in self.nodes if n not in other._node_set)

    def __and__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._subset(n for n in self.nodes if n in other._node_set)

    # -- datasets ----------------------------------------------------------------------

    def inputs(self) -> set[str]:
        """Datasets the pipeline consumes but does not produce (parameters included)."""
        return set(self._free_inputs)

    def outputs(self) -> set[str]:
        """Datasets the pipeline produces but does not consume itself."""
        return set(self._free_outputs)

    def all_inputs(self) -> set[str]:
        """Every dataset some node consumes."""
        return set(self._graph.consumers)

    def all_outputs(self) -> set[str]:
        """Every dataset some node produces."""
        return set(self._graph.producer)

    def datasets(self) -> set[str]:
        """Every dataset the pipeline touches, parameters included."""
        return set(self._graph.consumers) | set(self._graph.producer)

    def parameters(self) -> set[str]:
        """The parameter inputs (``params:...`` and ``parameters``)."""
        return {d for d in self._graph.consumers if is_parameter(d)}

    def tags(self) -> set[str]:
        """Every tag carried by some node."""
        return {t for n in self.nodes for t in n.tags}

    def namespaces(self) -> set[str]:
        """Every namespace, including the enclosing ones (``a`` for ``a.b``)."""
        result: set[str] = set()
        for n in self.nodes:
            parts = (n.namespace or "").split(".")
            result.update(".".join(parts[: i + 1]) for i in range(len(parts)) if n.namespace)
        return result

    def producer_of(self, dataset: str) -> Node | None:
        """The node producing ``dataset``, or ``None`` if it is a pipeline input."""
        self._check_datasets([dataset])
        i = self._graph.producer.get(dataset)
        return None if i is None else self.nodes[i]

    def consumers_of(self, dataset: str) -> tuple[Node, ...]:
        """The nodes consuming ``dataset``, in topological order."""
        self._check_datasets([dataset])
        return tuple(self.nodes[i] for i in self._graph.consumers.get(dataset, ()))

    def get_node(self, name: str) -> Node:
        """Return the node called ``name``.

        Raises:
            PipelineError: No such node (with the closest names).
        """
        self._check_node_names([name])
        return self.nodes[self._graph.position[name]]

    @property
    def node_dependencies(self) -> dict[Node, frozenset[Node]]:
        """Each node mapped to the nodes it depends on directly."""
        nodes = self.nodes
        return {
            nodes[i]: frozenset(nodes[p] for p in ps) for i, ps in enumerate(self._graph.parents)
        }

    @cached_property
    def _free_inputs(self) -> frozenset[str]:
        return frozenset(d for d in self._graph.consumers if d not in self._graph.producer)

    @cached_property
    def _free_outputs(self) -> frozenset[str]:
        return frozenset(d for d in self._graph.producer if d not in self._graph.consumers)

    # -- slicing -----------------------------------------------------------------------

    def only_nodes(self, *names: str) -> Pipeline:
        """Only the named nodes."""
        keep = set(self._indices(names))
        return self._subset(n for i, n in enumerate(self.nodes) if i in keep)

    def from_nodes(self, *names: str) -> Pipeline:
        """The named nodes and everything downstream of them."""
        return self._reachable(self._indices(names), self._graph.children)

    def to_nodes(self, *names: str) -> Pipeline:
        """The named nodes and everything upstream of them."""
        return self._reachable(self._indices(names), self._graph.parents)

    def from_inputs(self, *datasets: str) -> Pipeline:
        """Every node that depends, directly or not, on the given datasets."""
        self._check_datasets(datasets)
        start = [i for d in datasets for i in self._graph.consumers.get(d, ())]
        return self._reachable(start, self._graph.children)

    def to_outputs(self, *datasets: str) -> Pipeline:
        """Every node needed to produce the given datasets."""
        self._check_datasets(datasets)
        not_produced = [d for d in datasets if d not in self._graph.producer]
        if not_produced:
            raise PipelineError(
                f"No node produces {', '.join(map(repr, not_produced))}: it is an input of the "
                "pipeline, so there is nothing to run to obtain it."
            )
        return self._reachable([self._graph.producer[d] for d in datasets], self._graph.parents)

    def only_nodes_with_tags(self, *tags: str) -> Pipeline:
        """The nodes carrying at least one of the tags."""
        self._check_known("Tag", tags, self.tags())
        wanted = set(tags)
        return self._subset(n for n in self.nodes if n.tags & wanted)

    def only_nodes_with_namespaces(self, *namespaces: str) -> Pipeline:
        """The nodes inside any of the namespaces (nested namespaces included)."""
        self._check_known("Namespace", namespaces, self.namespaces())
        prefixes = tuple(f"{ns}." for ns in namespaces)
        wanted = set(namespaces)
        return self._subset(
            n
            for n in self.nodes
            if n.namespace is not None
            and (n.namespace in wanted or n.namespace.startswith(prefixes))
        )

    def filter(
        self,
        *,
        tags: Iterable[str] | None = None,
        from_nodes: Iterable[str] | None = None,
        to_nodes: Iterable[str] | None = None,
        node_names: Iterable[str] | None = None,
        from_inputs: Iterable[str] | None = None,
        to_outputs: Iterable[str] | None = None,
        node_namespaces: Iterable[str] | None = None,
    ) -> Pipeline:
        """Apply every given slice and keep the nodes selected by all of them.

        Raises:
            PipelineError: A name is unknown, or no node satisfies every filter.
        """
        slices = [
            (self.only_nodes_with_tags, tags),
            (self.from_nodes, from_nodes),
            (self.to_nodes, to_nodes),
            (self.only_nodes, node_names),
            (self.from_inputs, from_inputs),
            (self.to_outputs, to_outputs),
            (self.only_nodes_with_namespaces, node_namespaces),
        ]
        result = self
        given = []
        for method, option in slices:
            if option is not None:
                names = [option] if isinstance(option, str) else list(option)
                given.append(f"{method.__name__}({', '.join(map(repr, names))})")
                result = result & method(*names)
        if not result.nodes:
            raise PipelineError(
                f"No node satisfies every filter given ({' & '.join(given)}); check that the "
                "options select overlapping parts of the pipeline."
            )
        return result

    def group_by_namespace(self, level: int = 1) -> dict[str, NodeGroup]:
        """Group nodes by namespace for deployment; see :func:`group_by_namespace`."""
        from datamill.pipeline._grouping import group_by_namespace

        return group_by_namespace(self, level)

    # -- helpers -----------------------------------------------------------------------

    def _subset(self, nodes: Iterable[Node]) -> Pipeline:
        return Pipeline(list(nodes))

    def _reachable(self, start: Iterable[int], edges: tuple[tuple[int, ...], ...]) -> Pipeline:
        seen = set(start)
        queue = deque(seen)
        while queue:
            for j in edges[queue.popleft()]:
                if j not in seen:
                    seen.add(j)
                    queue.append(j)
        return self._subset(n for i, n in enumerate(self.nodes) if i in seen)

    def _indices(self, names: Iterable[str]) -> list[int]:
        names = list(names)
        self._check_node_names(names)
        return [self._graph.position[n] for n in names]

    def _check_node_names(self, names: Iterable[str]) -> None:
        self._check_known("Node", names, self._graph.position)

    def _check_datasets(self, datasets: Iterable[str]) -> None:
        known = self._graph.consumers.keys() | self._graph.producer.keys()
        self._check_known("Dataset", datasets, known)

    @staticmethod
    def _check_known(kind: str, names: Iterable[str], known: Iterable[str]) -> None:
        known = set(known)
        unknown = [n for n in dict.fromkeys(names) if n not in known]
        if not unknown:
            return
        problems = [
            f"{kind} {n!r} is not in the pipeline.{did_you_mean(n, known)}" for n in unknown
        ]
        raise PipelineError(" ".join(problems), problems=problems)


def _flatten(items: Iterable[Node | Pipeline]) -> list[Node]:
    if isinstance(items, Node | Pipeline):
        raise TypeError("Pipeline() takes an iterable of nodes and pipelines, e.g. [node_a].")
    unique: dict[Node, None] = {}
    for item in items:
        if isinstance(item, Pipeline):
            unique.update(dict.fromkeys(item.nodes))
        elif isinstance(item, Node):
            unique[item] = None
        else:
            raise TypeError(
                f"Pipeline() accepts nodes and pipelines only, got {type(item).__name__}: "
                f"{item!r}. Wrap functions with node(func, inputs, outputs)."
            )
    return list(unique)


def _validated_graph(nodes: list[Node]) -> PipelineGraph:
    index = index_datasets(nodes)
    if index.problems:
        raise _problems_error(index.problems, nodes, index.offenders)
    graph = build_graph(nodes, index)
    if isinstance(graph, PipelineGraph):
        return graph
    path = describe_cycle(graph)
    raise PipelineError(
        f"The pipeline has a cycle: {path}. A node cannot depend on its own output, "
        "directly or through other nodes; break the cycle by renaming a dataset.",
        node_names=[n.name for n in graph[:-1]],
    )


def _problems_error(problems: list[str], nodes: list[Node], offenders: list[str]) -> PipelineError:
    header = f"{len(problems)} problem(s) in a pipeline of {len(nodes)} nodes:"
    return PipelineError(
        "\n".join([header, *(f"  - {p}" for p in problems)]),
        problems=problems,
        node_names=dict.fromkeys(offenders),
    )
