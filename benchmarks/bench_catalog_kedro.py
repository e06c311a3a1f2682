"""Benchmark Kedro's catalog and its memory use; prints one JSON line per case.

Usage (with the Python of the virtualenv ``run.py`` creates in ``.bench-venvs/``, which
holds ``kedro==1.7.0`` and ``kedro-datasets`` with its pandas datasets)::

    .bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_catalog_kedro.py [--quick]

The catalog is built with ``DataCatalog.from_config(config)`` and every name is resolved
with ``catalog[name]``, which creates the dataset of an explicit entry or of the matching
pattern (Kedro's ``_LazyDataset.materialize``). The memory workload runs with
``SequentialRunner`` or ``ThreadRunner`` and Kedro's defaults: intermediates are
``MemoryDataset``s whose copy mode is inferred, which for a DataFrame means ``data.copy()``
on every save and every load.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from _kedro import import_kedro
from catalog_workloads import (
    MEMORY_PARAMETER,
    CatalogAdapter,
    frame_parameter,
    main,
    memory_specs,
)


class KedroCatalogAdapter:
    """Builds catalogs and runs the memory workload with Kedro's public API."""

    name = "kedro"

    def __init__(self) -> None:
        kedro = import_kedro()
        self.version: str = kedro.version
        self._io: Any = kedro.io
        self._pipeline: Any = kedro.pipeline
        self._runner: Any = kedro.runner

    def construct(self, config: dict[str, dict[str, Any]]) -> Any:
        """``DataCatalog.from_config``: datasets stay lazy until a name is asked for."""
        return self._io.DataCatalog.from_config(config)

    def resolve(self, catalog: Any, names: Sequence[str]) -> list[object]:
        """``catalog[name]`` for every name: materialises the dataset (explicit or pattern)."""
        return [catalog[name] for name in names]

    def run_memory(self, rows: int, nodes: int, executor: str, workers: int | None) -> float:
        """Run the chain; the frame parameter is the catalog's only content."""
        node = self._pipeline.node
        pipeline = self._pipeline.Pipeline(
            [node(s.func, s.inputs, s.outputs, name=s.name) for s in memory_specs(nodes)]
        )
        parameter = self._io.MemoryDataset(frame_parameter(rows))
        catalog = self._io.DataCatalog({f"params:{MEMORY_PARAMETER}": parameter})
        if executor == "sequential":
            chosen = self._runner.SequentialRunner()
        else:
            chosen = self._runner.ThreadRunner(max_workers=workers)
        outputs = chosen.run(pipeline, catalog)
        summary: float = outputs["summary"].load()
        return summary


def _adapter() -> CatalogAdapter:
    return KedroCatalogAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("kedro", version("kedro"))))
