"""Run the benchmark suite: datamill against Kedro 1.7.0, then datamill's targets.

``make bench`` calls this script with the development virtualenv's Python. It

1. creates (once) ``.bench-venvs/kedro-1.7.0``, a virtualenv holding ``kedro==1.7.0`` and
   ``kedro-datasets`` with its pandas datasets (pandas, NumPy and PyArrow pinned to the
   versions of this environment, so both frameworks run the same pandas);
2. runs each suite's datamill script (``bench_datamill.py``, ``bench_catalog_datamill.py``,
   ``bench_cli_datamill.py``, ``bench_config_datamill.py``) with this interpreter and its
   Kedro script (``bench_kedro.py``, ``bench_catalog_kedro.py``, ``bench_cli_kedro.py``,
   ``bench_config_kedro.py``) with the Kedro virtualenv's, each printing one JSON line per
   case;
3. prints side-by-side tables (times, peak memory, command-line wall times, configuration
   loading) and checks datamill's performance targets (PASS/FAIL).

Options: ``--quick`` (small sizes and fewer repeats, no Kedro: a smoke check in under a
minute), ``--no-kedro``, ``--suite pipelines``, ``catalog``, ``cli`` or ``config`` (one
suite only, repeatable; ``catalog`` holds the catalog and memory benchmarks),
``--output FILE`` (results and checks as JSON), ``--markdown FILE`` (the tables and checks as
Markdown, as pasted in ``docs/benchmarks.md``).

The exit code is 0 when every case ran, even if a target failed (the report says so); it is
1 when a benchmark crashed or a framework returned wrong results (including parameters that
merge differently from Kedro's).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from _cli_config_report import (
    CLI_HEADER,
    CONFIG_HEADER,
    cli_checks,
    cli_rows,
    config_checks,
    config_rows,
)
from _harness import GRAPH_SHAPES, QUICK_SIZES, SIZES, Result, parse_results
from _report import Check, Key, check, fmt_time, quotient
from catalog_workloads import (
    CATALOG_SIZES,
    MEMORY_COLUMNS,
    MEMORY_NODES,
    MEMORY_ROWS,
    QUICK_CATALOG_SIZES,
)

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
KEDRO_VERSION = "1.7.0"
KEDRO_VENV = ROOT / ".bench-venvs" / f"kedro-{KEDRO_VERSION}"
KEDRO_DATASETS = "kedro-datasets[pandas-csvdataset,pandas-parquetdataset]==9.6.0"
SAME_AS_HERE = ("pandas", "numpy", "pyarrow")
"""Libraries installed in the Kedro virtualenv at this environment's versions."""
MEMORY_LIMIT_FRAMES = 2.5
MEMORY_GROWTH_FRAMES = 0.25
CATALOG_RATIO = 0.2


# -- environments and subprocesses -------------------------------------------------------------


def version_here(name: str) -> str:
    """The version of ``name`` installed in this environment, ``""`` if it is not."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def kedro_requirements() -> list[str]:
    """What the Kedro virtualenv holds: Kedro, its pandas datasets, this environment's pandas."""
    pins = [
        f"{name}=={version_here(name)}" if version_here(name) else name for name in SAME_AS_HERE
    ]
    return [f"kedro=={KEDRO_VERSION}", KEDRO_DATASETS, *pins]


def kedro_python() -> Path:
    """The Kedro virtualenv's interpreter, creating or completing the virtualenv if needed.

    Raises:
        subprocess.CalledProcessError: The virtualenv or the install failed.
    """
    python = KEDRO_VENV / "bin" / "python"
    probe = [
        str(python),
        "-c",
        "import kedro, kedro_datasets.pandas, pandas, sys; "
        "sys.exit(kedro.__version__ != sys.argv[1] or sys.argv[2] not in ('', pandas.__version__))",
        KEDRO_VERSION,
        version_here("pandas"),
    ]
    if python.exists() and subprocess.run(probe, check=False).returncode == 0:
        return python
    requirements = kedro_requirements()
    print(f"Preparing {KEDRO_VENV.relative_to(ROOT)}: {' '.join(requirements)}", file=sys.stderr)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(KEDRO_VENV)], check=True)
    install = [str(python), "-m", "pip", "install", "--quiet", *requirements]
    subprocess.run(install, check=True)
    return python


def run_benchmark(python: Path | str, script: str, quick: bool) -> tuple[list[Result], int]:
    """Run one benchmark script (progress goes to stderr); return its results and exit code."""
    cmd = [str(python), str(BENCHMARKS / script), *(["--quick"] if quick else [])]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    return parse_results(proc.stdout.splitlines()), proc.returncode


# -- formatting ----------------------------------------------------------------------------------


def fmt_result(result: Result | None) -> str:
    """A result's best time, or why there is none."""
    if result is None:
        return "-"
    return fmt_time(result.best_s) if result.ok else result.status


def fmt_per_node(result: Result | None) -> str:
    """Microseconds per node of a run, or ``-``."""
    if result is None or result.per_node_us is None or result.case.phase != "run":
        return "-"
    return f"{result.per_node_us:,.1f}"


def ratio(dm: Result | None, kd: Result | None) -> str:
    """datamill's best time divided by Kedro's."""
    if dm is None or kd is None or dm.best_s is None or kd.best_s is None:
        return "-"
    return f"{dm.best_s / kd.best_s:.3g}"


HEADER = (
    "workload",
    "N",
    "phase",
    "executor",
    "datamill",
    "Kedro",
    "dm/Kedro",
    "dm µs/node",
    "Kedro µs/node",
    "plain loop",
)


def table_rows(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[tuple[str, ...]]:
    """One row per case, in the order the cases ran."""
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys([*dm, *kd]):
        d, k = dm.get(key), kd.get(key)
        case = next(r.case for r in (d, k) if r is not None)
        executor = f"{case.executor}({case.workers})" if case.workers else case.executor
        rows.append(
            (
                case.workload,
                str(case.n),
                case.phase,
                executor,
                fmt_result(d),
                fmt_result(k),
                ratio(d, k),
                fmt_per_node(d),
                fmt_per_node(k),
                fmt_time(d.floor_s) if d is not None and d.floor_s is not None else "-",
            )
        )
    return rows


CATALOG_HEADER = (
    "workload",
    "N",
    "phase",
    "datamill",
    "Kedro",
    "dm/Kedro",
    "dm µs/name",
    "Kedro µs/name",
)


def fmt_per_name(result: Result | None) -> str:
    """Microseconds per catalog name, or ``-``."""
    if result is None or result.per_node_us is None:
        return "-"
    return f"{result.per_node_us:,.1f}"


def catalog_rows(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[tuple[str, ...]]:
    """One row per catalog case, in the order the cases ran."""
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys([*dm, *kd]):
        d, k = dm.get(key), kd.get(key)
        case = next(r.case for r in (d, k) if r is not None)
        rows.append(
            (
                case.workload,
                str(case.n),
                case.phase,
                fmt_result(d),
                fmt_result(k),
                ratio(d, k),
                fmt_per_name(d),
                fmt_per_name(k),
            )
        )
    return rows


MEMORY_HEADER = (
    "workload",
    "frame",
    "nodes",
    "executor",
    "datamill peak",
    "Kedro peak",
    "plain loop peak",
    "datamill time",
    "Kedro time",
    "plain loop time",
)


def table_of(result: Result) -> str:
    """Which table shows ``result``: ``pipelines``, ``catalog``, ``memory``, ``cli``, ``config``."""
    if result.case.workload in MEMORY_ROWS:
        return "memory"
    if result.case.workload in ("cli", "config"):
        return result.case.workload
    return "catalog" if result.case.workload == "catalog" else "pipelines"


def frames(result: Result | None, key: str = "peak") -> float | None:
    """The peak resident memory above the baseline, in frames (``None`` without a result).

    ``key`` is ``peak`` for the framework's run, ``plain`` for the plain loop's.
    """
    if result is None or not result.ok or "frame_bytes" not in result.sizes:
        return None
    sizes = result.sizes
    if key == "plain":
        above = sizes["plain_loop_peak_above_baseline"]
    else:
        above = sizes["peak_bytes"] - sizes["baseline_bytes"]
    return above / sizes["frame_bytes"]


def fmt_frames(result: Result | None, key: str = "peak") -> str:
    """A peak in frames and megabytes, or why there is none."""
    value = frames(result, key)
    if result is None or value is None:
        return "-" if result is None else result.status
    return f"{value:.2f} frames ({value * result.sizes['frame_bytes'] / 1e6:,.0f} MB)"


def fmt_frame(workload: str) -> str:
    """The frame of a memory workload: rows x columns and size."""
    rows = MEMORY_ROWS[workload]
    return f"{rows:,} x {MEMORY_COLUMNS} float64 ({rows * MEMORY_COLUMNS * 8 / 1e6:,.0f} MB)"


def memory_rows(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[tuple[str, ...]]:
    """One row per memory case, in the order the cases ran."""
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys([*dm, *kd]):
        d, k = dm.get(key), kd.get(key)
        case = next(r.case for r in (d, k) if r is not None)
        executor = f"{case.executor}({case.workers})" if case.workers else case.executor
        plain = fmt_frames(d if d is not None else k, "plain")
        rows.append(
            (
                case.workload,
                fmt_frame(case.workload),
                str(case.n),
                executor,
                fmt_frames(d),
                fmt_frames(k),
                plain,
                fmt_result(d),
                fmt_result(k),
                fmt_time(next((r.floor_s for r in (d, k) if r is not None), None)),
            )
        )
    return rows


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# -- targets -----------------------------------------------------------------------------------


def best(results: dict[Key, Result], key: Key, per_node: bool = False) -> float | None:
    """The best time (or per-node µs) of a case, ``None`` if it has no measurement."""
    result = results.get(key)
    if result is None:
        return None
    return result.per_node_us if per_node else result.best_s


def _floor(results: dict[Key, Result], key: Key) -> float | None:
    result = results.get(key)
    return None if result is None else result.floor_s


def graph_checks(dm: dict[Key, Result], small: int, large: int) -> list[Check]:
    """Per-node overhead and scaling of sequential runs; build time of a large pipeline."""
    checks = []
    for shape in GRAPH_SHAPES:
        seq = {n: (shape, n, "run", "sequential") for n in (small, large)}
        for n, key in seq.items():
            value = best(dm, key, per_node=True)
            name = f"{shape}: sequential overhead per node, N={n}"
            checks.append(check(name, "<= 20 µs", value, lambda v: v <= 20, " µs"))
        growth = quotient(best(dm, seq[large]), best(dm, seq[small]))
        floor = quotient(*(_floor(dm, seq[n]) for n in (large, small)))
        note = "" if floor is None else f" (plain loop: {floor:.2f}x)"
        name = f"{shape}: sequential run time N={large} / N={small}"
        checks.append(check(name, "<= 12x", growth, lambda v: v <= 12, "x", note=note))
        build = best(dm, (shape, large, "build", "-"))
        name = f"{shape}: construct + validate + topological order, N={large}"
        checks.append(check(name, "< 0.3 s", build, lambda v: v < 0.3, " s"))
    return checks


def executor_checks(dm: dict[Key, Result], small: int, large: int) -> list[Check]:
    """Process executor cost and speed-up; thread executor overhead against sequential."""
    per_node = best(dm, ("chain", small, "run", "process"), per_node=True)
    checks = [
        check(
            f"chain: process executor per node, N={small}",
            "<= 2,000 µs",
            per_node,
            lambda v: v <= 2000,
            " µs",
        )
    ]
    speedup = quotient(
        best(dm, ("cpu", 8, "run", "sequential")), best(dm, ("cpu", 8, "run", "process"))
    )
    checks.append(
        check(
            "cpu: 8 burn nodes, sequential / process(2)",
            ">= 1.8x",
            speedup,
            lambda v: v >= 1.8,
            "x",
        )
    )
    for shape in ("chain", "fan", "layered"):
        for n in (small, large):
            thread = best(dm, (shape, n, "run", "thread"), per_node=True)
            seq = best(dm, (shape, n, "run", "sequential"), per_node=True)
            name = f"{shape}: thread / sequential overhead per node, N={n}"
            checks.append(check(name, "<= 2x", quotient(thread, seq), lambda v: v <= 2, "x"))
    return checks


def slice_agreement(dm: dict[Key, Result], kd: dict[Key, Result]) -> list[Check]:
    """Both frameworks' slices must select the same number of nodes (a correctness check)."""
    checks = []
    for key, result in dm.items():
        other = kd.get(key)
        if key[2] != "slice" or other is None or not other.sizes:
            continue
        name = f"{key[0]}: slices of N={key[1]} match Kedro's node counts"
        same = result.sizes == other.sizes
        shown = "/".join(str(v) for v in result.sizes.values())
        checks.append(Check(name, "equal", f"{shown} (from/to/tag)", passed=same))
    return checks


def catalog_checks(
    dm: dict[Key, Result], kd: dict[Key, Result], sizes: Sequence[int]
) -> list[Check]:
    """Construct + resolve-all against Kedro's time; both catalogs resolve the same datasets.

    The comparisons need Kedro's results: without them (``--quick``, ``--no-kedro``) only
    datamill's own count of resolved names is checked, by the benchmark itself.
    """
    if not kd:
        return []
    checks = []
    for n in sizes:
        key = ("catalog", n, "total", "-")
        name = f"catalog: construct + resolve all {n:,} names, datamill / Kedro"
        value = quotient(best(dm, key), best(kd, key))
        checks.append(check(name, f"<= {CATALOG_RATIO}x", value, lambda v: v <= CATALOG_RATIO, "x"))
        d, k = dm.get(key), kd.get(key)
        if d is not None and k is not None and d.sizes and k.sizes:
            shown = ", ".join(f"{kind.removesuffix('Dataset')} {n}" for kind, n in d.sizes.items())
            name = f"catalog: N={n} resolves the same datasets as Kedro's"
            checks.append(Check(name, "equal", shown, passed=d.sizes == k.sizes))
    return checks


def memory_checks(dm: dict[Key, Result], workload: str) -> list[Check]:
    """Peak memory of the frame chain: near two frames, and flat in the number of nodes."""
    checks = []
    small, large = MEMORY_NODES
    for executor in ("sequential", "thread"):
        peaks = {n: frames(dm.get((workload, n, "peak", executor))) for n in (small, large)}
        for n, value in peaks.items():
            name = f"memory: peak above baseline, {n} nodes, {executor}"
            goal = f"<= {MEMORY_LIMIT_FRAMES} frames"
            checks.append(check(name, goal, value, lambda v: v <= MEMORY_LIMIT_FRAMES, " frames"))
        first, last = peaks[small], peaks[large]
        # Rounded, and + 0.0 turns -0.0 into 0.0: a flat peak reads "0.00", not "-0.00".
        growth = None if first is None or last is None else round(last - first, 2) + 0.0
        name = f"memory: peak at {large} nodes - peak at {small} nodes, {executor}"
        goal = f"<= {MEMORY_GROWTH_FRAMES} frames"
        checks.append(check(name, goal, growth, lambda v: v <= MEMORY_GROWTH_FRAMES, " frames"))
    return checks


# -- entry point -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="datamill vs Kedro benchmarks.")
    parser.add_argument("--quick", action="store_true", help="small sizes and no Kedro")
    parser.add_argument("--no-kedro", action="store_true", help="benchmark datamill only")
    parser.add_argument(
        "--suite",
        choices=sorted(SUITES),
        action="append",
        help="run only this suite (repeatable; default: all)",
    )
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    return parser.parse_args(argv)


def environment(start_load: float, dm: list[Result], kd: list[Result]) -> dict[str, Any]:
    """Where and when the benchmarks ran (load averages: other work skews timings)."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m_start": start_load,
        "load_average_1m_end": os.getloadavg()[0],
        "datamill": dm[0].version if dm else None,
        "kedro": kd[0].version if kd else None,
    }


SUITES = {
    "pipelines": ("bench_datamill.py", "bench_kedro.py"),
    "catalog": ("bench_catalog_datamill.py", "bench_catalog_kedro.py"),
    "cli": ("bench_cli_datamill.py", "bench_cli_kedro.py"),
    "config": ("bench_config_datamill.py", "bench_config_kedro.py"),
}
"""Each suite's datamill script and Kedro script; ``catalog`` includes the memory benchmark."""


def chosen_suites(args: argparse.Namespace) -> list[str]:
    """The suites to run, in the order of :data:`SUITES`."""
    return [name for name in SUITES if not args.suite or name in args.suite]


def run_scripts(
    python: Path | str, scripts: Sequence[str], quick: bool
) -> tuple[list[Result], bool]:
    """Run benchmark scripts one after the other; the flag tells whether one crashed."""
    results: list[Result] = []
    crashed = False
    for script in scripts:
        found, code = run_benchmark(python, script, quick)
        results += found
        crashed = crashed or code != 0
    return results, crashed


def collect(args: argparse.Namespace) -> tuple[list[Result], list[Result], bool]:
    """Run every benchmark script; the flag tells whether anything crashed."""
    print("datamill:", file=sys.stderr)
    suites = [SUITES[name] for name in chosen_suites(args)]
    dm, dm_crashed = run_scripts(sys.executable, [dm for dm, _ in suites], args.quick)
    if args.quick or args.no_kedro:
        return dm, [], dm_crashed
    try:
        python = kedro_python()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"Could not prepare Kedro {KEDRO_VERSION}: {exc}", file=sys.stderr)
        return dm, [], True
    print(f"Kedro {KEDRO_VERSION}:", file=sys.stderr)
    kd, kd_crashed = run_scripts(python, [kd for _, kd in suites], quick=False)
    return dm, kd, dm_crashed or kd_crashed


RowMaker = Callable[[dict[Key, Result], dict[Key, Result]], list[tuple[str, ...]]]

TABLES: dict[str, tuple[Sequence[str], RowMaker]] = {
    "pipelines": (HEADER, table_rows),
    "catalog": (CATALOG_HEADER, catalog_rows),
    "memory": (MEMORY_HEADER, memory_rows),
    "cli": (CLI_HEADER, cli_rows),
    "config": (CONFIG_HEADER, config_rows),
}
"""The tables of the report, in order: each one's header and how its rows are made."""


def report(
    dm: list[Result], kd: list[Result], quick: bool, suites: Sequence[str] = tuple(SUITES)
) -> tuple[str, str, list[Check]]:
    """The comparison tables (text and Markdown) and the checks.

    Only the targets of the suites that ran are checked.
    """
    dm_by = {t: {r.case.key: r for r in dm if table_of(r) == t} for t in TABLES}
    kd_by = {t: {r.case.key: r for r in kd if table_of(r) == t} for t in TABLES}
    checks: list[Check] = []
    if "pipelines" in suites:
        small, large = QUICK_SIZES if quick else SIZES
        pipelines = dm_by["pipelines"]
        checks += graph_checks(pipelines, small, large) + executor_checks(pipelines, small, large)
        checks += slice_agreement(pipelines, kd_by["pipelines"])
    if "catalog" in suites:
        sizes = QUICK_CATALOG_SIZES if quick else CATALOG_SIZES
        checks += catalog_checks(dm_by["catalog"], kd_by["catalog"], sizes)
        checks += memory_checks(dm_by["memory"], "memory_quick" if quick else "memory")
    if "cli" in suites:
        checks += cli_checks(dm_by["cli"], kd_by["cli"])
    if "config" in suites:
        checks += config_checks(dm_by["config"], kd_by["config"])
    tables: list[tuple[Sequence[str], list[tuple[str, ...]]]] = [
        (header, make_rows(dm_by[t], kd_by[t])) for t, (header, make_rows) in TABLES.items()
    ]
    check_rows: list[tuple[str, ...]] = [(c.name, c.target, c.measured, c.verdict) for c in checks]
    tables.append((("target", "goal", "measured", "result"), check_rows))
    shown = [(header, rows) for header, rows in tables if rows]
    text = "\n\n".join(text_table(header, rows) for header, rows in shown)
    markdown = "\n\n".join(markdown_table(header, rows) for header, rows in shown)
    return text, markdown, checks


def current_load() -> float:
    """The 1-minute load average, with a warning when other work would skew timings."""
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"Note: load average {load:.2f}; other work skews timings.", file=sys.stderr)
    return load


def write_files(args: argparse.Namespace, payload: dict[str, Any], markdown: str) -> None:
    """Write the ``--output`` JSON and the ``--markdown`` tables, if asked for."""
    for path, text in ((args.output, json.dumps(payload, indent=2)), (args.markdown, markdown)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")


def exit_code(crashed: bool, results: list[Result], checks: Sequence[Check] = ()) -> int:
    """1 if a benchmark crashed, returned wrong outputs or produced nothing; else 0.

    Wrong outputs include a failed cross-check: the frameworks' results disagree.
    """
    errors = [r for r in results if r.status == "error"]
    for r in errors:
        print(f"ERROR {r.framework} {r.case.label}: {r.detail}", file=sys.stderr)
    disagreements = [c for c in checks if c.cross_check and not c.passed]
    for c in disagreements:
        print(f"ERROR {c.name}: {c.measured}", file=sys.stderr)
    return 1 if crashed or errors or disagreements or not results else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything, print the report, write the optional files; return the exit code."""
    args = parse_args(argv)
    load = current_load()
    dm, kd, crashed = collect(args)
    text, markdown, checks = report(dm, kd, args.quick, chosen_suites(args))
    passed = sum(c.passed for c in checks)
    print(f"{text}\n\n{passed} of {len(checks)} checks passed.")
    if args.quick:
        frame_mb = MEMORY_ROWS["memory_quick"] * MEMORY_COLUMNS * 8 / 1e6
        print(
            f"(--quick: small sizes, fewer repeats, a light CPU workload and {frame_mb:.0f} MB "
            "frames; the targets are only indicative.)"
        )
    payload = {
        "environment": environment(load, dm, kd),
        "quick": args.quick,
        "suites": chosen_suites(args),
        "results": [r.to_json() for r in [*dm, *kd]],
        "checks": [asdict(c) for c in checks],
    }
    write_files(args, payload, markdown)
    return exit_code(crashed or not dm, [*dm, *kd], checks)


if __name__ == "__main__":
    sys.exit(main())
