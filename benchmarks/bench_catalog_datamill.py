"""Benchmark datamill's catalog and its memory use; prints one JSON line per case.

Usage::

    .venv/bin/python benchmarks/bench_catalog_datamill.py [--quick] [--timeout SECONDS]

Every case runs in its own subprocess (see ``catalog_workloads``); ``benchmarks/run.py``
calls this script and compares its results with ``bench_catalog_kedro.py``'s.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import datamill
from catalog_workloads import (
    MEMORY_PARAMETER,
    CatalogAdapter,
    frame_parameter,
    main,
    memory_specs,
)
from datamill import DataCatalog, Pipeline, node, run


class DatamillCatalogAdapter:
    """Builds catalogs and runs the memory workload with datamill's public API."""

    name = "datamill"
    version = datamill.__version__

    def construct(self, config: dict[str, dict[str, Any]]) -> DataCatalog:
        """``DataCatalog.from_config``: checks every entry, creates no dataset."""
        return DataCatalog.from_config(config)

    def resolve(self, catalog: object, names: Sequence[str]) -> list[object]:
        """``catalog[name]`` for every name: creates the dataset (explicit or from a pattern)."""
        assert isinstance(catalog, DataCatalog)
        return [catalog[name] for name in names]

    def run_memory(self, rows: int, nodes: int, executor: str, workers: int | None) -> float:
        """``datamill.run`` on the chain; the frame parameter is the catalog's only content."""
        pipeline = Pipeline(
            [node(s.func, s.inputs, s.outputs, name=s.name) for s in memory_specs(nodes)]
        )
        catalog = DataCatalog(parameters={MEMORY_PARAMETER: frame_parameter(rows)})
        outputs = run(pipeline, catalog, executor=executor, workers=workers)
        summary: float = outputs["summary"]
        return summary


def _adapter() -> CatalogAdapter:
    return DatamillCatalogAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("datamill", datamill.__version__)))
