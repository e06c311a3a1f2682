"""Shared benchmark machinery: cases, timing, isolation in subprocesses, JSON results.

Both ``bench_datamill.py`` and ``bench_kedro.py`` describe a framework through an
:class:`Adapter` and hand it to :func:`main`. Without ``--case`` a script is a *driver*: it
runs every case of its plan in a fresh subprocess of itself, under a timeout, and prints one
JSON line per case on stdout. With ``--case`` it measures that one case in-process. A fresh
process per case keeps cases from warming each other's caches or heaps, and lets a slow
framework time out without hanging the suite: the subprocess gets its own process group,
so a timeout also ends the worker processes it started.

Timing: :func:`time.perf_counter`; the garbage collector stays enabled (as in real use) and
is run before each repeat; every repeat rebuilds its inputs outside the timed region; the
best and the median of the repeats are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from workloads import CPU_NODES, Workload, evaluate, make

__all__ = ["Adapter", "Case", "Result", "main", "parse_results"]

P = TypeVar("P")
C = TypeVar("C")
T = TypeVar("T")

GC_NOTE = "enabled; gc.collect() before each repeat"
QUICK_BURN_ITERATIONS = 400_000
"""Work per CPU node in ``--quick`` mode (about 30 ms instead of 0.5 s)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One measurement: a workload, its size, a phase, and how it runs.

    Attributes:
        workload: Shape name from :data:`workloads.SHAPES`.
        n: Number of nodes.
        phase: ``construct`` (node() calls and Pipeline()), ``build`` (construct, validate
            and topological order), ``slice`` (from_nodes + to_nodes + tag filter) or
            ``run``.
        executor: ``sequential``, ``thread`` or ``process`` for ``run``; ``-`` otherwise.
        workers: Workers of the thread and process executors (``None``: the default).
        repeats: Maximum number of repeats.
        budget_s: Stop repeating once the repeats so far took this long.
        extrapolate_from: Skip the case if a quadratic extrapolation from the same case at
            this smaller size exceeds the timeout (for frameworks known to be super-linear).
        burn_iterations: Work per node of the ``cpu`` workload.
    """

    workload: str
    n: int
    phase: str
    executor: str = "-"
    workers: int | None = None
    repeats: int = 3
    budget_s: float = 30.0
    extrapolate_from: int | None = None
    burn_iterations: int | None = None

    @property
    def key(self) -> tuple[str, int, str, str]:
        """Identity of the case across frameworks."""
        return (self.workload, self.n, self.phase, self.executor)

    @property
    def label(self) -> str:
        """A short human-readable name."""
        workers = f"({self.workers})" if self.workers else ""
        return f"{self.workload}/{self.n}/{self.phase}/{self.executor}{workers}"

    def workload_object(self) -> Workload:
        """Build the case's workload."""
        if self.burn_iterations is None:
            return make(self.workload, self.n)
        return make(self.workload, self.n, burn_iterations=self.burn_iterations)


@dataclass(slots=True)
class Result:
    """The outcome of one case for one framework.

    Attributes:
        framework: ``datamill`` or ``kedro``.
        version: The framework's version.
        case: What was measured.
        status: ``ok``, ``timeout``, ``skipped`` or ``error``.
        times_s: Every repeat's duration in seconds.
        detail: Why it was skipped or failed, or a note.
        sizes: Node counts of the slices (``slice`` phase), to compare frameworks.
        floor_s: For sequential runs, the best time of a plain loop calling the same
            functions on a dict (:func:`workloads.evaluate`): the cost no framework avoids.
        gc: How the garbage collector was handled.
    """

    framework: str
    version: str
    case: Case
    status: str = "ok"
    times_s: list[float] = field(default_factory=list)
    detail: str = ""
    sizes: dict[str, int] = field(default_factory=dict)
    floor_s: float | None = None
    gc: str = GC_NOTE

    @property
    def best_s(self) -> float | None:
        """The fastest repeat, or ``None`` without a measurement."""
        return min(self.times_s) if self.ok else None

    @property
    def ok(self) -> bool:
        """Whether the case produced a measurement."""
        return self.status == "ok" and bool(self.times_s)

    @property
    def per_node_us(self) -> float | None:
        """Best time divided by the number of nodes, in microseconds."""
        best = self.best_s
        return None if best is None else best / self.case.n * 1e6

    def to_json(self) -> dict[str, Any]:
        """A flat, JSON-ready mapping (with best, median and per-node figures)."""
        data = asdict(self)
        data.update(data.pop("case"))
        data["best_s"] = self.best_s
        data["median_s"] = statistics.median(self.times_s) if self.ok else None
        data["per_node_us"] = self.per_node_us
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_json` output."""
        case_fields = Case.__dataclass_fields__
        case = Case(**{k: v for k, v in data.items() if k in case_fields})
        own = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "case"}
        return cls(case=case, **own)


def parse_results(lines: Sequence[str]) -> list[Result]:
    """Parse the JSON lines a driver printed (other lines are ignored)."""
    return [Result.from_json(json.loads(x)) for x in lines if x.startswith("{")]


class Adapter(Protocol[P, C]):
    """What the harness needs from a framework. ``P`` is its pipeline type, ``C`` its catalog."""

    name: str
    version: str

    def build(self, workload: Workload) -> P:
        """Create the nodes and the pipeline."""

    def order(self, pipeline: P) -> Sequence[object]:
        """Return the nodes in topological order."""

    def slice(self, pipeline: P, workload: Workload) -> dict[str, int]:
        """Slice the pipeline three ways and return each slice's node count."""

    def catalog(self, workload: Workload, executor: str) -> C:
        """A fresh catalog holding the workload's inputs."""

    def run(self, pipeline: P, catalog: C, executor: str, workers: int | None) -> object:
        """Run the pipeline; return what the framework returns."""

    def outputs(self, returned: object) -> dict[str, Any]:
        """Turn what :meth:`run` returned into output values (not timed)."""


# -- measuring one case (in the case's own process) ------------------------------------------


def time_repeats(
    prepare: Callable[[], T], action: Callable[[T], object], case: Case
) -> tuple[list[float], object]:
    """Time ``action(prepare())`` up to ``case.repeats`` times; return times and last result."""
    times: list[float] = []
    result: object = None
    while len(times) < case.repeats and sum(times) < case.budget_s:
        result = None  # free the previous repeat's result (and what it holds) untimed
        state = prepare()
        gc.collect()
        start = time.perf_counter()
        result = action(state)
        times.append(time.perf_counter() - start)
    return times, result


def measure(adapter: Adapter[P, C], case: Case) -> Result:
    """Measure one case with ``adapter``; a wrong run result is reported as an error."""
    workload = case.workload_object()
    result = Result(adapter.name, adapter.version, case)
    if case.phase == "construct":
        result.times_s, _ = time_repeats(lambda: workload, adapter.build, case)
    elif case.phase == "build":
        result.times_s, _ = time_repeats(
            lambda: workload, lambda w: adapter.order(adapter.build(w)), case
        )
    elif case.phase == "slice":
        pipeline = adapter.build(workload)
        result.times_s, sizes = time_repeats(
            lambda: pipeline, lambda p: adapter.slice(p, workload), case
        )
        result.sizes = dict(sizes) if isinstance(sizes, dict) else {}
    elif case.phase == "run":
        _measure_run(adapter, case, workload, result)
    else:
        raise ValueError(f"Unknown phase {case.phase!r}.")
    return result


def _measure_run(adapter: Adapter[P, C], case: Case, workload: Workload, result: Result) -> None:
    def prepare() -> tuple[P, C]:
        return adapter.build(workload), adapter.catalog(workload, case.executor)

    def action(state: tuple[P, C]) -> object:
        return adapter.run(state[0], state[1], case.executor, case.workers)

    result.times_s, returned = time_repeats(prepare, action, case)
    if case.executor == "sequential":
        floor, _ = time_repeats(lambda: workload, evaluate, case)
        result.floor_s = min(floor)
    got, expected = adapter.outputs(returned), evaluate(workload)
    if got != expected:
        wrong = sorted(k for k in expected.keys() | got.keys() if got.get(k) != expected.get(k))
        result.status = "error"
        result.detail = f"wrong outputs for {len(wrong)} dataset(s), e.g. {wrong[:3]}"


# -- driving every case in subprocesses --------------------------------------------------------


def run_isolated(script: Path, case: Case, framework: tuple[str, str], timeout: float) -> Result:
    """Run one case in a fresh subprocess of ``script``; never wait longer than ``timeout``."""
    cmd = [sys.executable, str(script), "--case", json.dumps(asdict(case))]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return Result(*framework, case, "timeout", detail=f"no result within {timeout:g} s")
    results = parse_results(out.splitlines())
    if proc.returncode != 0 or len(results) != 1:
        tail = " | ".join(err.strip().splitlines()[-3:])
        return Result(*framework, case, "error", detail=f"exit {proc.returncode}: {tail}")
    return results[0]


def _kill_group(proc: subprocess.Popen[str]) -> None:
    # The case's process group holds only what this case started (workers, managers).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def skip_reason(case: Case, done: dict[tuple[str, int, str, str], Result], timeout: float) -> str:
    """Explain why ``case`` would exceed ``timeout`` judging by a smaller run, or return ''."""
    if case.extrapolate_from is None:
        return ""
    smaller = done.get((case.workload, case.extrapolate_from, case.phase, case.executor))
    if smaller is None or smaller.best_s is None:
        return ""
    estimate = smaller.best_s * (case.n / case.extrapolate_from) ** 2
    if estimate <= timeout:
        return ""
    return (
        f"estimated {estimate:.0f} s > {timeout:.0f} s budget "
        f"(quadratic extrapolation from N={case.extrapolate_from})"
    )


def drive(script: Path, framework: tuple[str, str], plan: list[Case], timeout: float) -> int:
    """Run every case of ``plan`` in isolation, print JSON lines; 1 if a case errored."""
    done: dict[tuple[str, int, str, str], Result] = {}
    for case in plan:
        reason = skip_reason(case, done, timeout)
        if reason:
            result = Result(*framework, case, "skipped", detail=reason)
        else:
            result = run_isolated(script, case, framework, timeout)
        done[case.key] = result
        _progress(result)
        print(json.dumps(result.to_json()), flush=True)
    return int(any(r.status == "error" for r in done.values()))


def _progress(result: Result) -> None:
    best = result.best_s
    shown = f"{best * 1e3:10.2f} ms" if best is not None else f"{result.status:>13}"
    note = f"  {result.detail}" if result.detail else ""
    print(f"  [{result.framework}] {result.case.label:<32} {shown}{note}", file=sys.stderr)


# -- command line -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    """The options shared by both benchmark scripts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke checks")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(
    adapter_factory: Callable[[], Any],
    plan_factory: Callable[[bool], list[Case]],
    framework: tuple[str, str],
    argv: Sequence[str] | None = None,
    *,
    measure_case: Callable[[Any, Case], Result] | None = None,
    description: str = "Run one framework's benchmark cases; print JSON lines.",
) -> int:
    """Entry point of a benchmark script: measure one ``--case``, or drive the whole plan.

    Args:
        adapter_factory: Builds the framework adapter (imports the framework).
        plan_factory: Returns the cases to run, given whether ``--quick`` was passed.
        framework: The framework's name and version, for results of failed cases.
        argv: Command-line arguments (default: ``sys.argv[1:]``).
        measure_case: Measures one case with the adapter (default: :func:`measure`).
        description: The script's ``--help`` description.

    Returns:
        The process exit code.
    """
    args = parse_args(argv, description)
    if args.case:
        case = Case(**json.loads(args.case))
        result = (measure_case or measure)(adapter_factory(), case)
        print(json.dumps(result.to_json()), flush=True)
        return 0
    script = Path(sys.argv[0]).resolve()
    print(f"{framework[0]} {framework[1]} on {platform.python_version()}", file=sys.stderr)
    return drive(script, framework, plan_factory(args.quick), args.timeout)


SIZES = (1000, 10000)
QUICK_SIZES = (100, 1000)
GRAPH_SHAPES = ("chain", "fan", "layered")


def plan(quick: bool, *, extrapolate: bool = False) -> list[Case]:
    """The cases both frameworks measure, smallest first.

    Args:
        quick: Use small sizes, at most two repeats and a lighter CPU workload.
        extrapolate: Skip a large run whose extrapolated time exceeds the timeout.

    Returns:
        Graph phases for every shape and size, the process executor on a chain, and the
        CPU-bound workload sequentially and on two worker processes.
    """
    sizes = QUICK_SIZES if quick else SIZES
    cases = [c for shape in GRAPH_SHAPES for n in sizes for c in _graph_cases(shape, n, sizes[0])]
    if not extrapolate:
        cases = [replace(c, extrapolate_from=None) for c in cases]
    for n in sorted({100, sizes[0]}):
        cases.append(Case("chain", n, "run", "process", workers=2, repeats=3, budget_s=20.0))
    cases.append(Case("cpu", CPU_NODES, "run", "sequential", repeats=3))
    cases.append(Case("cpu", CPU_NODES, "run", "process", workers=2, repeats=3))
    return [quick_case(c) for c in cases] if quick else cases


def _graph_cases(shape: str, n: int, smallest: int) -> list[Case]:
    extrapolate_from = smallest if n > smallest else None
    phases = [Case(shape, n, phase, repeats=5) for phase in ("construct", "build", "slice")]
    runs = [
        Case(shape, n, "run", ex, workers=w, repeats=5, extrapolate_from=extrapolate_from)
        for ex, w in (("sequential", None), ("thread", 2))
    ]
    return phases + runs


def quick_case(case: Case) -> Case:
    """A cheaper version of ``case`` for ``--quick``: one or two repeats, a lighter CPU load."""
    burn = QUICK_BURN_ITERATIONS if case.workload == "cpu" else None
    return replace(case, repeats=min(case.repeats, 2), burn_iterations=burn)
