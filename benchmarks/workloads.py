"""Framework-neutral benchmark workloads.

A workload is a list of :class:`NodeSpec` (function, input names, output names, tags) plus
the values of its free inputs. ``bench_datamill.py`` and ``bench_kedro.py`` turn the same
specs into their own nodes, so both frameworks run exactly the same graph and the same
functions. This module imports neither framework: the Kedro side runs it in another
virtual environment, and process executors import the node functions from here in their
workers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BURN_ITERATIONS",
    "CPU_NODES",
    "SHAPES",
    "NodeSpec",
    "Workload",
    "burn",
    "chain",
    "cpu",
    "evaluate",
    "fan",
    "inc",
    "layered",
    "make",
    "mix",
    "total",
]

MODULUS = 1_000_003
"""Keeps the layered DAG's values small: sums of sums would otherwise grow without bound."""

BURN_ITERATIONS = 6_500_000
"""Iterations of :func:`burn` that take about 0.5 s of pure Python on the reference machine."""

CPU_NODES = 8
"""Independent :func:`burn` nodes in the CPU-bound workload."""

SEED = 20240601
"""Seed of the layered DAG, so every run and both frameworks see the same graph."""


# -- node functions (module level, so worker processes can import them) ---------------------


def inc(x: int) -> int:
    """Return ``x + 1``: the cheapest possible node, so a run measures the framework."""
    return x + 1


def total(*xs: int) -> int:
    """Return the sum of any number of inputs (the fan-in sink)."""
    return sum(xs)


def mix(*xs: int) -> int:
    """Combine one to three inputs into a small int (the layered DAG's nodes)."""
    return (sum(xs) + 1) % MODULUS


def burn(seed: int, iterations: int) -> int:
    """Spin a linear congruential generator: pure-Python CPU work that holds the GIL.

    Args:
        seed: Starting state; different seeds keep results distinct per node.
        iterations: Work size; :data:`BURN_ITERATIONS` takes about 0.5 s.

    Returns:
        The final state.
    """
    x = seed
    for _ in range(iterations):
        x = (x * 1_103_515_245 + 12_345) & 0x7FFF_FFFF
    return x


# -- shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node, described without any framework.

    Attributes:
        name: Unique node name.
        func: Module-level function of this module.
        inputs: Dataset names passed positionally.
        outputs: The single output dataset name.
        tags: Tags used by the slicing benchmark.
    """

    name: str
    func: Callable[..., int]
    inputs: tuple[str, ...]
    outputs: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workload:
    """A graph of nodes plus what the slicing benchmark asks of it.

    Attributes:
        name: Shape name (``chain``, ``fan``, ``layered``, ``cpu``).
        nodes: Node specs in a valid topological order.
        inputs: Values of the free inputs, to be put in the catalog.
        middle: Name of a node in the middle of the graph, for ``from_nodes``/``to_nodes``.
        tag: A tag carried by some nodes, for the tag filter.
        outputs: The free outputs (produced, never consumed): what a run returns.
    """

    name: str
    nodes: list[NodeSpec]
    inputs: dict[str, Any]
    middle: str
    tag: str = "even"
    outputs: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.nodes)


def _parity(i: int) -> tuple[str, ...]:
    return ("even",) if i % 2 == 0 else ("odd",)


def _workload(name: str, nodes: list[NodeSpec], inputs: dict[str, Any], middle: str) -> Workload:
    consumed = {d for spec in nodes for d in spec.inputs}
    outputs = frozenset(spec.outputs for spec in nodes if spec.outputs not in consumed)
    return Workload(name, nodes, inputs, middle, outputs=outputs)


def chain(n: int) -> Workload:
    """``n`` nodes in a line, each adding one to the int it receives."""
    nodes = [NodeSpec(f"chain_{i:05d}", inc, (f"c{i}",), f"c{i + 1}", _parity(i)) for i in range(n)]
    return _workload("chain", nodes, {"c0": 0}, nodes[n // 2].name)


def fan(n: int) -> Workload:
    """One source, ``n - 2`` independent middles, and one sink taking every middle's output."""
    if n < 3:
        raise ValueError(f"A fan needs at least 3 nodes, got {n}.")
    middles = [
        NodeSpec(f"fan_mid_{i:05d}", inc, ("src",), f"m{i}", _parity(i)) for i in range(n - 2)
    ]
    source = NodeSpec("fan_source", inc, ("x0",), "src", ("even",))
    sink = NodeSpec("fan_sink", total, tuple(m.outputs for m in middles), "out", ("odd",))
    return _workload("fan", [source, *middles, sink], {"x0": 0}, middles[len(middles) // 2].name)


def layered(n: int, seed: int = SEED) -> Workload:
    """A seeded random DAG of ``n`` nodes in about ``sqrt(n)`` layers.

    Every node of layer ``k > 0`` reads one output of layer ``k - 1`` (so the graph really
    is that deep) and up to two more from any earlier layer; layer 0 reads the free input.
    """
    rng = random.Random(seed)
    sizes = _layer_sizes(n, max(1, round(math.sqrt(n))))
    nodes: list[NodeSpec] = []
    earlier: list[str] = []
    previous = ["x0"]
    for depth, size in enumerate(sizes):
        current = []
        for _ in range(size):
            i = len(nodes)
            inputs = _pick_inputs(rng, previous, earlier)
            nodes.append(NodeSpec(f"dag_{i:05d}", mix, inputs, f"v{i}", _parity(i)))
            current.append(f"v{i}")
        if depth > 0:
            earlier.extend(previous)
        previous = current
    return _workload("layered", nodes, {"x0": 1}, _middle_of(nodes, sizes))


def _middle_of(nodes: list[NodeSpec], sizes: list[int]) -> str:
    # A node of the middle layer that has consumers, so that slicing from it selects more
    # than itself: the producer of the first input of the next layer's first node.
    if len(sizes) < 2:
        return nodes[0].name
    next_layer_start = sum(sizes[: len(sizes) // 2 + 1])
    produced = nodes[next_layer_start].inputs[0]
    return next(spec.name for spec in nodes if spec.outputs == produced)


def _layer_sizes(n: int, layers: int) -> list[int]:
    base, extra = divmod(n, layers)
    return [base + (1 if k < extra else 0) for k in range(layers)]


def _pick_inputs(rng: random.Random, previous: list[str], earlier: list[str]) -> tuple[str, ...]:
    first = rng.choice(previous)
    pool = earlier or previous
    others = rng.sample(pool, min(rng.randint(0, 2), len(pool)))
    return tuple(dict.fromkeys([first, *others]))


def cpu(n: int = CPU_NODES, iterations: int = BURN_ITERATIONS) -> Workload:
    """``n`` independent CPU-bound :func:`burn` nodes (the process executor's use case)."""
    nodes = [
        NodeSpec(f"burn_{i}", burn, (f"seed{i}", "iterations"), f"burned{i}", _parity(i))
        for i in range(n)
    ]
    inputs: dict[str, Any] = {f"seed{i}": i + 1 for i in range(n)}
    inputs["iterations"] = iterations
    return _workload("cpu", nodes, inputs, nodes[n // 2].name)


SHAPES: dict[str, Callable[[int], Workload]] = {
    "chain": chain,
    "fan": fan,
    "layered": layered,
    "cpu": cpu,
}
"""Workload builders by name; each takes the number of nodes."""


def make(name: str, n: int, *, burn_iterations: int = BURN_ITERATIONS) -> Workload:
    """Build the workload ``name`` with ``n`` nodes."""
    if name == "cpu":
        return cpu(n, burn_iterations)
    return SHAPES[name](n)


def evaluate(workload: Workload) -> dict[str, Any]:
    """Run a workload with a plain loop: the expected free outputs (and a speed floor).

    Args:
        workload: The workload to evaluate.

    Returns:
        The value of every free output.
    """
    data = dict(workload.inputs)
    for spec in workload.nodes:
        data[spec.outputs] = spec.func(*(data[d] for d in spec.inputs))
    return {name: data[name] for name in workload.outputs}
