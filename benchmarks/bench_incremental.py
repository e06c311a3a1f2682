"""Incremental runs: a second run of an unchanged 1,000-node project, and the journal's cost.

Usage::

    .venv/bin/python benchmarks/bench_incremental.py [--nodes 1000] [--chain 10000] [--history 40]

1. Writes the 1,000-node project of ``bench_check.py`` (chained nodes in 20 modules, every
   dataset a JSON file), runs ``datamill run`` once (every node runs), then times a second
   ``datamill run`` (no node runs): the whole command's wall time, and ``Session.run()``
   in-process (start-up and project import excluded). Target: below 1 s on top of start-up.
2. Times chains run by ``run_with`` with and without journal recording
   (``Tracking(..., incremental=False)``: fingerprints, records, commits) and prints the
   overhead: 10,000 trivial in-memory nodes (target: below 10% of the run time), 10,000
   in-memory nodes doing about 200 µs of work each, and 1,000 nodes that each save a JSON
   file (every such node's record is committed before the next node starts).
3. Records 40 runs of the 10,000-node chain into one journal and times the first five and
   the last five: recording must not slow down as the journal fills. Then times
   ``Journal.prune(keep=5)`` and a vacuum, with the file's size before and after.
4. Early cutoff on a 10,000-node in-memory chain between two files: the chain's head reads
   a file that a forced node rewrites with the same content, its tail also reads a second
   file. Times a forced run without early cutoff (the whole chain reruns), with it (the
   chain is skipped as one group: 1 node runs), and with it after the second file changed
   (the group cannot be skipped: the chain reruns). Deciding must cost about one visit per
   node, not one walk of the chain per node.
5. Early cutoff of a group of ``--cutoff``/10 nodes fed from memory by an unchanged node
   that waits, set aside, while a forced ``--cutoff``-node chain rewrites the group's other
   input with the same content: it must be asked again only once the chain has ended.

Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_check import write_project
from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.datasets.json import JSONDataset
from datamill.hooks import create_hook_manager
from datamill.journal import Journal
from datamill.runner import RunInfo, Tracking, create_executor, run_with


def second_run(nodes: int, repeats: int) -> list[dict[str, object]]:
    """Wall and in-process times of ``datamill run`` when nothing changed."""
    from datamill.project import Session

    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_project(root, nodes)
        (root / "data").mkdir()
        (root / "data" / "d0.json").write_text("[1, 2, 3]", encoding="utf-8")
        datamill = str(Path(sys.executable).parent / "datamill")
        command = [datamill, "run", "--pipeline", "chain", "--no-progress"]
        start = time.perf_counter()
        subprocess.run(command, cwd=root, check=True, capture_output=True)
        results.append(_line("first_run_command", nodes, [time.perf_counter() - start]))
        walls = []
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            assert "Ran 0 node(s)" in done.stdout, done.stdout[-500:]
        results.append(_line("second_run_command", nodes, walls))
        startup = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([datamill, "--version"], check=True, capture_output=True)
            startup.append(time.perf_counter() - start)
        results.append(_line("datamill_startup", 0, startup))
        sys.path.insert(0, str(root / "src"))
        inside = []
        with Session.create(root) as session:
            session.pipelines["chain"]
            for _ in range(repeats):
                start = time.perf_counter()
                session.run("chain")
                inside.append(time.perf_counter() - start)
                assert not any(d.runs for d in session.last_plan.values())
        results.append(_line("second_run_session", nodes, inside))
    return results


def identity(x: int) -> int:
    return x


def busy(x: int) -> int:
    """About 200 µs of pure-Python work (a small node that computes something)."""
    total = 0
    for i in range(4_000):
        total += i * i
    return x + (total & 1)


def journal_overhead(
    case: str,
    pipe: Pipeline,
    make_catalog: Callable[[Path], DataCatalog],
    repeats: int,
) -> list[dict[str, object]]:
    """``pipe`` run plain and recorded (fingerprints, records, commits), median of repeats."""
    plain: list[float] = []
    recorded: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Path(folder) / "journal.db")
        for _ in range(repeats):
            for tracked, times in ((False, plain), (True, recorded)):
                catalog = make_catalog(Path(folder))
                tracking = (
                    Tracking(journal, RunInfo("chain"), incremental=False) if tracked else None
                )
                times.append(_timed_run(pipe, catalog, tracking))
        journal.close()
    nodes = len(pipe)
    overhead = statistics.median(recorded) / statistics.median(plain) - 1
    return [
        _line(f"{case}_plain", nodes, plain),
        _line(f"{case}_recorded", nodes, recorded),
        {
            "case": f"{case}_journal_overhead",
            "nodes": nodes,
            "ratio": round(overhead, 3),
            "us_per_node": round(
                (statistics.median(recorded) - statistics.median(plain)) / nodes * 1e6, 1
            ),
        },
    ]


def overheads(chain: int, repeats: int) -> list[dict[str, object]]:
    """The journal's cost on three chains: trivial, small-work and file-saving nodes."""

    def memory(_: Path) -> DataCatalog:
        return DataCatalog({"d0": MemoryDataset(1)})

    def files(folder: Path) -> DataCatalog:
        return DataCatalog(
            {
                f"d{i}": JSONDataset(str(folder / "data" / f"d{i}.json"))
                for i in range(FILE_CHAIN + 1)
            }
        )

    def chained(func: Callable[[int], int], nodes: int) -> Pipeline:
        return Pipeline([node(func, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(nodes)])

    return [
        *journal_overhead("chain", chained(identity, chain), memory, repeats),
        *journal_overhead("busy_chain", chained(busy, chain), memory, repeats),
        *journal_overhead("file_chain", chained(identity, FILE_CHAIN), _seeded(files), repeats),
    ]


def journal_growth(chain: int, runs: int) -> list[dict[str, object]]:
    """Whether recording slows down as the journal fills: ``runs`` recorded runs of the
    trivial chain into one journal, the first five and the last five timed."""
    pipe = Pipeline([node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(chain)])
    times: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Path(folder) / "journal.db")
        for _ in range(runs):
            tracking = Tracking(journal, RunInfo("chain"), incremental=False)
            times.append(_timed_run(pipe, DataCatalog({"d0": MemoryDataset(1)}), tracking))
        size = journal.path.stat().st_size
        start = time.perf_counter()
        pruned = journal.prune(keep=5)
        prune_time = time.perf_counter() - start
        start = time.perf_counter()
        journal.prune(keep=5, vacuum=True)
        vacuum_time = time.perf_counter() - start
        journal.close()
        prune = {
            "case": "prune_keep_5",
            "runs_removed": len(pruned.runs),
            "node_records_removed": pruned.nodes,
            "prune_s": round(prune_time, 3),
            "vacuum_s": round(vacuum_time, 3),
            "mb_before": round(size / 1e6, 1),
            "mb_after_vacuum": round(journal.path.stat().st_size / 1e6, 1),
        }
    return [
        _line("chain_recorded_first_5_runs", chain, times[:5]),
        _line(f"chain_recorded_runs_{runs - 4}_to_{runs}", chain, times[-5:]),
        prune,
    ]


def early_cutoff(chain: int) -> list[dict[str, object]]:
    """Forced reruns of a chain's source with and without early cutoff (see the module)."""
    pipe = Pipeline(
        [
            node(identity, "raw", "head", name="source"),
            node(identity, "head", "m0", name="n0"),
            *(node(identity, f"m{i - 1}", f"m{i}", name=f"n{i}") for i in range(1, chain)),
            node(identity, "raw2", "side", name="side_source"),
            node(_pair, [f"m{chain - 1}", "side"], "out", name="tail"),
        ]
    )
    lines: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def catalog() -> DataCatalog:
            files = ("raw", "raw2", "head", "side", "out")
            return DataCatalog({n: JSONDataset(str(root / f"{n}.json")) for n in files})

        (root / "raw.json").write_text("1", encoding="utf-8")
        (root / "raw2.json").write_text("2", encoding="utf-8")
        journal = Journal(root / "journal.db")
        cases = [
            ("first_run", False, None),
            ("forced_source_without_cutoff", False, None),
            ("forced_source_cut_off", True, None),
            ("forced_source_tail_input_changed", True, "3"),
        ]
        for case, cutoff, side in cases:
            if side is not None:
                (root / "raw2.json").write_text(side, encoding="utf-8")
            tracking = Tracking(
                journal,
                RunInfo("chain"),
                force=["source"] if case != "first_run" else False,
                early_cutoff=cutoff,
            )
            seconds = _timed_run(pipe, catalog(), tracking)
            ran = sum(d.runs for d in tracking.decisions.values())
            lines.append(
                {"case": f"cutoff_{case}", "nodes": len(pipe), "ran": ran, "s": round(seconds, 3)}
            )
        journal.close()
    return lines


def set_aside(chain: int, group: int) -> list[dict[str, object]]:
    """Early cutoff of a group fed from memory by an unchanged node (``lookup``) that is
    ready first and waits, set aside, while a forced chain of ``chain`` nodes rewrites the
    group's other input with the same content: the whole group is then cut off. Asking the
    waiting node again must cost nothing until the chain has ended (not a walk of the
    ``group`` members after each chain node)."""
    links = [
        node(identity, "raw", "m0", name="c0"),
        *(node(identity, f"m{i - 1}", f"m{i}", name=f"c{i}") for i in range(1, chain)),
        node(identity, f"m{chain - 1}", "x_end", name="last"),
    ]
    members = [
        node(_left, ["x_end", "table"], "g0", name="joined"),
        *(node(identity, f"g{i - 1}", f"g{i}", name=f"g{i}") for i in range(1, group)),
        node(identity, f"g{group - 1}", "out", name="final"),
    ]
    pipe = Pipeline([node(identity, "raw_t", "table", name="lookup"), *links, *members])
    lines: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "raw.json").write_text("1", encoding="utf-8")
        (root / "raw_t.json").write_text("2", encoding="utf-8")
        journal = Journal(root / "journal.db")
        files = ("raw", "raw_t", "x_end", "out")
        forced: list[str] = [n.name for n in links]
        cases: list[tuple[str, bool | list[str], bool]] = [
            ("first_run", False, False),
            ("forced_chain_without_cutoff", forced, False),
            ("forced_chain_cut_off", forced, True),
        ]
        for case, force, cutoff in cases:
            tracking = Tracking(journal, RunInfo("p"), force=force, early_cutoff=cutoff)
            catalog = DataCatalog({n: JSONDataset(str(root / f"{n}.json")) for n in files})
            seconds = _timed_run(pipe, catalog, tracking)
            ran = sum(d.runs for d in tracking.decisions.values())
            lines.append(
                {
                    "case": f"set_aside_{case}",
                    "nodes": len(pipe),
                    "ran": ran,
                    "s": round(seconds, 3),
                }
            )
        journal.close()
    return lines


def _timed_run(pipe: Pipeline, catalog: DataCatalog, tracking: Tracking | None) -> float:
    """Seconds that ``run_with`` takes to run ``pipe`` on the sequential executor."""
    start = time.perf_counter()
    run_with(
        pipe,
        catalog,
        create_executor("sequential", None),
        create_hook_manager([]),
        tracking=tracking,
    )
    return time.perf_counter() - start


def _left(x: int, _other: int) -> int:
    return x


def _pair(x: int, y: int) -> list[int]:
    return [x, y]


FILE_CHAIN = 1_000
"""Nodes of the chain whose every dataset is a JSON file (each node's record is committed)."""


def _seeded(make: Callable[[Path], DataCatalog]) -> Callable[[Path], DataCatalog]:
    def seeded(folder: Path) -> DataCatalog:
        catalog = make(folder)
        catalog.save("d0", 1)
        return catalog

    return seeded


def _line(case: str, nodes: int, times: list[float]) -> dict[str, object]:
    return {
        "case": case,
        "nodes": nodes,
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
    }


def main() -> int:
    """Run both measurements and print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--chain", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--history", type=int, default=40, help="runs for the growth check")
    parser.add_argument("--cutoff", type=int, default=10_000, help="chain of the cutoff check")
    args = parser.parse_args()
    for line in [
        *second_run(args.nodes, args.repeats),
        *overheads(args.chain, args.repeats),
        *journal_growth(args.chain, args.history),
        *early_cutoff(args.cutoff),
        *set_aside(args.cutoff, args.cutoff // 10),
    ]:
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
