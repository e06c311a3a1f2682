"""Benchmark datamill on the shared workloads; prints one JSON line per case.

Usage::

    .venv/bin/python benchmarks/bench_datamill.py [--quick] [--timeout SECONDS]

Every case runs in its own subprocess (see ``_harness``); ``benchmarks/run.py`` calls this
script and compares its results with Kedro's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import datamill
from _harness import Adapter, main, plan
from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from workloads import Workload


class DatamillAdapter:
    """Builds, slices and runs the workloads with datamill's public API."""

    name = "datamill"
    version = datamill.__version__

    def build(self, workload: Workload) -> Pipeline:
        """Create one node per spec, then the pipeline (validated, topologically ordered)."""
        return Pipeline(
            [
                node(s.func, list(s.inputs), s.outputs, name=s.name, tags=s.tags)
                for s in workload.nodes
            ]
        )

    def order(self, pipeline: Pipeline) -> Sequence[object]:
        """The topological order (computed when the pipeline was built)."""
        return pipeline.nodes

    def slice(self, pipeline: Pipeline, workload: Workload) -> dict[str, int]:
        """Downstream and upstream of the middle node, and the nodes carrying a tag."""
        return {
            "from_nodes": len(pipeline.from_nodes(workload.middle)),
            "to_nodes": len(pipeline.to_nodes(workload.middle)),
            "tags": len(pipeline.only_nodes_with_tags(workload.tag)),
        }

    def catalog(self, workload: Workload, executor: str) -> DataCatalog:
        """Memory datasets for the free inputs; intermediates are left to the runner."""
        return DataCatalog({k: MemoryDataset(v) for k, v in workload.inputs.items()})

    def run(
        self, pipeline: Pipeline, catalog: DataCatalog, executor: str, workers: int | None
    ) -> object:
        """``datamill.run`` with the given executor."""
        return run(pipeline, catalog, executor=executor, workers=workers)

    def outputs(self, returned: object) -> dict[str, Any]:
        """``datamill.run`` already returns the free outputs' values."""
        assert isinstance(returned, dict)
        return returned


def _adapter() -> Adapter[Pipeline, DataCatalog]:
    return DatamillAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, plan, ("datamill", datamill.__version__)))
