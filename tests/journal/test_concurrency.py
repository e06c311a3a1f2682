"""Several processes writing one journal at once lose nothing and corrupt nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

from datamill.journal import SCHEMA_VERSION, Journal

WRITER = textwrap.dedent(
    """
    import sys
    from datamill.journal import DatasetRecord, Journal, NodeRecord, RunStart

    path, run_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # start together, so that the journal is created concurrently too
    with Journal(path) as journal:
        journal.start_run(RunStart(run_id, "__default__"))
        for number in range(count):
            datasets = (
                DatasetRecord(f"in_{number}", "load", fingerprint="f"),
                DatasetRecord(f"{run_id}_out_{number}", "save", "v1", "g", persisted=True),
            )
            record = NodeRecord(f"node_{number}", "ran", datasets=datasets)
            journal.record_node(run_id, record)
            journal.record_partition(run_id, f"node_{number}", "parts", run_id, key="k")
        journal.finish_run(run_id, "succeeded")
    """
)

PROCESSES = 4
NODES = 200


def test_concurrent_writers_keep_every_record_and_the_file_intact(path: Path) -> None:
    with ExitStack() as stack:
        writers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, str(path), f"run-{n}", str(NODES)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for n in range(PROCESSES)
        ]
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline() == "ready\n"
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.close()
        assert [writer.wait() for writer in writers] == [0] * PROCESSES

    with Journal(path) as journal:
        summaries = journal.runs(limit=None)
        assert {s.run_id for s in summaries} == {f"run-{n}" for n in range(PROCESSES)}
        assert len(summaries) == PROCESSES
        assert {(s.status, s.nodes_ran) for s in summaries} == {("succeeded", NODES)}
        for n in range(PROCESSES):
            nodes = journal.nodes(f"run-{n}")
            assert [r.node_name for r in nodes] == [f"node_{i}" for i in range(NODES)]
            assert all(len(r.datasets) == 2 for r in nodes)
            assert len(journal.producers(f"run-{n}_out_{NODES - 1}", "v1")) == 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        assert raw.execute("SELECT count(*) FROM partitions").fetchone() == (PROCESSES * NODES,)
        assert raw.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
