"""A small datamill pipeline run through the Python API (what ``make demo`` shows).

It generates a deterministic table of shuttle trips, cleans it, and summarises two fleets
with one reusable sub-pipeline under two namespaces, on each of the three executors.
"""

from __future__ import annotations

import random
import time
from typing import Any

from datamill import DataCatalog, Node, Pipeline, hook_impl, node, pipeline, run


def generate_trips(seed: int, count: int) -> list[dict[str, Any]]:
    """Make reproducible trip records (nothing is downloaded)."""
    rng = random.Random(seed)
    fleets = ("alpha", "beta")
    return [
        {"fleet": rng.choice(fleets), "km": round(rng.uniform(-5, 400), 1)} for _ in range(count)
    ]


def clean_trips(trips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop impossible (negative) distances."""
    return [t for t in trips if t["km"] >= 0]


def select_fleet(trips: list[dict[str, Any]], fleet: str) -> list[float]:
    """Distances of one fleet's trips."""
    return [t["km"] for t in trips if t["fleet"] == fleet]


def summarise(distances: list[float]) -> dict[str, float]:
    """Count, total and mean distance."""
    total = sum(distances)
    return {
        "trips": len(distances),
        "km": round(total, 1),
        "mean_km": round(total / len(distances), 1),
    }


def fleet_summary() -> Pipeline:
    """A reusable sub-pipeline: trips of one fleet -> its summary."""
    return Pipeline(
        [
            node(select_fleet, ["clean_trips", "params:name"], "distances"),
            node(summarise, "distances", "summary"),
        ]
    )


def create_pipeline() -> Pipeline:
    """Data preparation followed by one summary per fleet."""
    prepare = Pipeline(
        [
            node(generate_trips, ["params:seed", "params:count"], "trips", tags="data"),
            node(clean_trips, "trips", "clean_trips", tags="data"),
        ]
    )
    fleets = [
        pipeline(fleet_summary(), namespace=f, inputs="clean_trips", tags="report")
        for f in ("alpha", "beta")
    ]
    return prepare + sum(fleets, Pipeline())


class Timer:
    """A hook that records each node's wall time."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.durations: dict[str, float] = {}

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        self.durations[node.name] = time.perf_counter() - self.started[node.name]


def main() -> None:
    """Run the demo pipeline on every executor and print what it produced."""
    parameters = {"seed": 7, "count": 10_000, "alpha": {"name": "alpha"}, "beta": {"name": "beta"}}
    demo = create_pipeline()
    print(f"Pipeline: {len(demo)} nodes in {len(demo.layers)} layers")
    for executor in ("sequential", "thread", "process"):
        timer = Timer()
        workers = None if executor == "sequential" else 2
        catalog = DataCatalog(parameters=parameters)
        outputs = run(demo, catalog, executor=executor, workers=workers, hooks=[timer])
        slowest = max(timer.durations, key=timer.durations.__getitem__)
        print(f"\n[{executor}] outputs (slowest node: {slowest}):")
        for name, value in sorted(outputs.items()):
            print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
