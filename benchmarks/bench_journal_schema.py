"""The journal's inserts as it fills: schema 2 (last successes through an index over every
node record) against schema 3 (a ``last_success`` table of one row per node and pipeline).

Usage::

    .venv/bin/python benchmarks/bench_journal_schema.py [--runs 40] [--nodes 10000]

Writes ``runs`` runs of ``nodes`` node records, with a dataset row each, straight into
SQLite, each run in one transaction as the journal writes it, and prints the cost per node
over the first five and the last five runs (medians), twice per schema. SQLite only, no
runner: the figures do not depend on how fast Python runs nodes, which on a shared machine
varies more than what is measured here.

Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from datamill.journal._schema import MIGRATIONS

NODE_ROW = (
    "INSERT INTO nodes (id, run_id, node_name, status, reason, started, ended, duration, "
    "peak_memory, attempts, code_fingerprint, params_fingerprint, params_components, "
    "input_fingerprints, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
DATASET_ROW = (
    "INSERT INTO datasets (node_id, dataset, role, version, fingerprint, persisted) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
FINGERPRINTS = ("a" * 32, "b" * 32, "{}", '{"d0":"node:' + "c" * 32 + '"}', None)
"""A node row's code and parameter fingerprints, components, inputs and error."""
LAST_SUCCESS = (  # what the journal writes for each node that ran, from schema 3
    "INSERT INTO last_success (node_name, pipeline, ended, node_id) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (node_name, pipeline) DO UPDATE SET "
    "ended = excluded.ended, node_id = excluded.node_id "
    "WHERE (excluded.ended, excluded.node_id) > (last_success.ended, last_success.node_id)"
)


def fill(schema: int, runs: int, nodes: int, folder: Path) -> list[float]:
    """Seconds per node of each run's inserts into a new journal of ``schema``."""
    connection = sqlite3.connect(folder / f"schema{schema}.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    for step in MIGRATIONS[:schema]:
        for statement in step:
            connection.execute(statement)
    costs = []
    for run in range(runs):
        run_id = f"20261122T1015{run:02d}.123456Z-3fa2c1"
        ended = f"2026-11-22T10:{15 + run // 60:02d}:{run % 60:02d}.123456+00:00"
        first = run * nodes + 1
        node_rows = [
            (first + i, run_id, f"n{i}", "ran", "forced", ended, ended, 0.0, 1000, 1, *FINGERPRINTS)
            for i in range(nodes)
        ]
        dataset_rows = [
            (first + i, f"d{i + 1}", "save", None, "node:" + "d" * 32, 0) for i in range(nodes)
        ]
        successes = [(f"n{i}", "chain", ended, first + i) for i in range(nodes)]
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(NODE_ROW, node_rows)
        connection.executemany(DATASET_ROW, dataset_rows)
        if schema >= 3:
            connection.executemany(LAST_SUCCESS, successes)
        connection.execute("COMMIT")
        costs.append((time.perf_counter() - start) / nodes)
    connection.close()
    return costs


def main() -> int:
    """Fill a journal of each schema twice and print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--nodes", type=int, default=10_000)
    args = parser.parse_args()
    for attempt in (1, 2):
        for schema in (2, 3):
            with tempfile.TemporaryDirectory() as folder:
                costs = fill(schema, args.runs, args.nodes, Path(folder))
            line = {
                "case": f"schema_{schema}_inserts",
                "attempt": attempt,
                "nodes": args.nodes,
                "us_per_node_runs_1_to_5": round(statistics.median(costs[:5]) * 1e6, 1),
                f"us_per_node_runs_{args.runs - 4}_to_{args.runs}": round(
                    statistics.median(costs[-5:]) * 1e6, 1
                ),
            }
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
