"""Benchmark Kedro on the shared workloads; prints one JSON line per case.

Usage (with the Python of a virtual environment holding ``kedro==1.7.0``; ``run.py``
creates one in ``.bench-venvs/``)::

    .bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_kedro.py [--timeout SECONDS]

Kedro is driven the way its own session drives it, minus project loading:
``runner.run(pipeline, catalog)`` with a ``DataCatalog`` of ``MemoryDataset`` inputs (a
``SharedMemoryDataCatalog`` for ``ParallelRunner``, which requires one) and no hook
manager (Kedro then uses a null one). Logging is set to WARNING through
``KEDRO_LOGGING_CONFIG``. Kedro's run time grows quadratically with the number of nodes, so
large runs whose extrapolated time exceeds the per-case timeout are reported as skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from _harness import Adapter, Case, main, plan
from _kedro import import_kedro
from workloads import Workload


class KedroAdapter:
    """Builds, slices and runs the workloads with Kedro's public API."""

    name = "kedro"

    def __init__(self) -> None:
        kedro = import_kedro()
        self.version: str = kedro.version
        self._io: Any = kedro.io
        self._pipeline: Any = kedro.pipeline
        self._runner: Any = kedro.runner

    def build(self, workload: Workload) -> Any:
        """Create one node per spec, then the pipeline."""
        node = self._pipeline.node
        return self._pipeline.Pipeline(
            [
                node(s.func, list(s.inputs), s.outputs, name=s.name, tags=s.tags)
                for s in workload.nodes
            ]
        )

    def order(self, pipeline: Any) -> Sequence[object]:
        """The topological order (Kedro computes it on first access)."""
        nodes: list[object] = pipeline.nodes
        return nodes

    def slice(self, pipeline: Any, workload: Workload) -> dict[str, int]:
        """Downstream and upstream of the middle node, and the nodes carrying a tag."""
        return {
            "from_nodes": len(pipeline.from_nodes(workload.middle).nodes),
            "to_nodes": len(pipeline.to_nodes(workload.middle).nodes),
            "tags": len(pipeline.only_nodes_with_tags(workload.tag).nodes),
        }

    def catalog(self, workload: Workload, executor: str) -> Any:
        """Memory datasets for the free inputs (shared-memory catalog for processes)."""
        kind = self._io.SharedMemoryDataCatalog if executor == "process" else self._io.DataCatalog
        return kind({k: self._io.MemoryDataset(v) for k, v in workload.inputs.items()})

    def run(self, pipeline: Any, catalog: Any, executor: str, workers: int | None) -> object:
        """Run with the runner matching ``executor``."""
        if executor == "sequential":
            chosen = self._runner.SequentialRunner()
        elif executor == "thread":
            chosen = self._runner.ThreadRunner(max_workers=workers)
        else:
            chosen = self._runner.ParallelRunner(max_workers=workers)
        # ParallelRunner's outputs live in its manager process, which stops when the runner
        # is garbage-collected: keep the runner until the outputs have been loaded.
        return chosen, chosen.run(pipeline, catalog)

    def outputs(self, returned: object) -> dict[str, Any]:
        """Kedro returns the output datasets: load them."""
        assert isinstance(returned, tuple)
        _, datasets = returned
        return {name: dataset.load() for name, dataset in datasets.items()}


def _adapter() -> Adapter[Any, Any]:
    return KedroAdapter()


def kedro_plan(quick: bool) -> list[Case]:
    """The shared plan, skipping large runs that would exceed the timeout."""
    return plan(quick, extrapolate=True)


if __name__ == "__main__":
    sys.exit(main(_adapter, kedro_plan, ("kedro", version("kedro"))))
