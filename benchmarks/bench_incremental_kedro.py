"""Kedro's side of ``bench_incremental.py``: a second run of the same 1,000-node chain.

Usage (with the Kedro virtualenv's interpreter)::

    .bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_incremental_kedro.py [--nodes 1000]

The pipeline is the one ``bench_check.py`` writes for datamill (node i computes
``[int(x * factor) + i for x in rows]`` from dataset ``d{i}`` and ``params:factor``, and
saves ``d{i + 1}``), every dataset a ``kedro_datasets.json.JSONDataset`` file. Kedro has no
incremental runs: a second run executes every node again. Times ``SequentialRunner.run``
in-process (imports and catalog creation excluded), median of the repeats; prints JSON lines.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _kedro import import_kedro


def step(i: int, rows: list[int], factor: float) -> list[int]:
    """Node i of the chain."""
    return [int(x * factor) + i for x in rows]


def main() -> int:
    """Run the chain twice or more and print the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    kedro = import_kedro()
    json_dataset = importlib.import_module("kedro_datasets.json").JSONDataset

    nodes = [
        kedro.pipeline.node(
            functools.update_wrapper(functools.partial(step, i), step),
            [f"d{i}", "params:factor"],
            f"d{i + 1}",
            name=f"n{i}",
        )
        for i in range(args.nodes)
    ]
    pipe = kedro.pipeline.Pipeline(nodes)
    times = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "d0.json").write_text("[1, 2, 3]", encoding="utf-8")
        for _ in range(args.repeats + 1):
            datasets = {
                f"d{i}": json_dataset(filepath=str(root / f"d{i}.json"))
                for i in range(args.nodes + 1)
            }
            catalog = kedro.io.DataCatalog(datasets=datasets)
            catalog["params:factor"] = 1.5
            start = time.perf_counter()
            kedro.runner.SequentialRunner().run(pipe, catalog)
            times.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "case": "kedro_second_run",
                "framework": f"kedro {kedro.version}",
                "nodes": args.nodes,
                "first_s": round(times[0], 4),
                "median_s": round(statistics.median(times[1:]), 4),
                "min_s": round(min(times[1:]), 4),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
