"""Catalog and memory workloads, framework-neutral, and the driver both their scripts share.

Two benchmarks live here, next to the pipeline benchmarks of ``workloads.py``:

- **catalog**: a catalog configuration of N names, half explicit entries of four dataset
  types and half served by five dataset patterns of five types. A framework builds the
  catalog from the configuration (``construct``), then creates the dataset object behind every
  name (``resolve``); ``total`` times both. The dataset classes are imported by a warm-up
  catalog before anything is timed, so neither framework pays for importing pandas.
- **memory**: a source node makes a float64 frame of ``rows`` x 10 columns from a parameter
  (so the catalog never holds the original), a chain of ``n`` nodes each returns a new frame
  (``frame + 1.0``), and a sink reduces the last frame to its mean, a float: the run's only
  output is small, so the peak measures what the framework keeps alive *during* the run. The
  peak resident memory above the baseline taken just before the run is reported in frames.

This module imports neither framework (the Kedro side runs it in another virtualenv), and
imports pandas and numpy only when a memory node runs. ``bench_catalog_datamill.py`` and
``bench_catalog_kedro.py`` implement :class:`CatalogAdapter` and call :func:`main`, which runs
every case in its own subprocess through ``_harness.drive``.
"""

from __future__ import annotations

import functools
import gc
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from _harness import Case, Result, time_repeats
from _harness import main as harness_main

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATALOG_SIZES",
    "MEMORY_COLUMNS",
    "MEMORY_NODES",
    "MEMORY_PARAMETER",
    "MEMORY_ROWS",
    "PATTERNS",
    "QUICK_CATALOG_SIZES",
    "CatalogAdapter",
    "MemorySpec",
    "catalog_config",
    "catalog_names",
    "frame_parameter",
    "main",
    "make_frame",
    "measure",
    "memory_specs",
    "peak_bytes",
    "plain_loop",
    "plan",
    "reset_peak",
    "shift",
    "summarise",
    "type_counts",
]

CATALOG_SIZES = (1000, 10000)
QUICK_CATALOG_SIZES = (100, 1000)
MEMORY_NODES = (5, 10)
"""Transform nodes between the source and the sink of the memory workload."""
MEMORY_ROWS = {"memory": 2_000_000, "memory_quick": 200_000}
"""Rows of the frame, by workload name (``memory_quick`` is the ``--quick`` size)."""
MEMORY_COLUMNS = 10
WARMUP_ROWS = 10_000
"""Rows of the untimed warm-up run that precedes the baseline."""
WARMUP_NAMES = 10
"""Names of the untimed warm-up catalog: every explicit type and every pattern once."""
SEED = 20240601

LAYERS = ("01_raw", "02_intermediate", "03_primary")

EXPLICIT_ENTRIES: tuple[Mapping[str, Any], ...] = (
    {
        "type": "pandas.CSVDataset",
        "filepath": "data/01_raw/ds_{i}.csv",
        "load_args": {"sep": ","},
        "save_args": {"index": False},
    },
    {"type": "pandas.ParquetDataset", "filepath": "data/02_intermediate/ds_{i}.parquet"},
    {"type": "pickle.PickleDataset", "filepath": "data/06_models/ds_{i}.pkl"},
    {"type": "json.JSONDataset", "filepath": "data/08_reporting/ds_{i}.json"},
)
"""Explicit entries, cycled; ``{i}`` is the entry's number (filled here, not a pattern)."""

PATTERNS: Mapping[str, Mapping[str, Any]] = {
    "{name}_features": {
        "type": "pandas.ParquetDataset",
        "filepath": "data/04_feature/{name}_features.parquet",
    },
    "{name}_model": {"type": "pickle.PickleDataset", "filepath": "data/06_models/{name}.pkl"},
    "{layer}.{name}": {
        "type": "pandas.CSVDataset",
        "filepath": "data/{layer}/{name}.csv",
        "load_args": {"sep": ","},
    },
    "{name}_metrics": {
        "type": "json.JSONDataset",
        "filepath": "data/08_reporting/{name}_metrics.json",
    },
    "{name}_scratch": {"type": "MemoryDataset"},
}
"""Five patterns of five types; every generated name matches exactly one of them."""


# -- catalog workload ----------------------------------------------------------------------


def catalog_config(n: int) -> dict[str, dict[str, Any]]:
    """A catalog configuration serving ``n`` names: ``n // 2`` explicit entries + the patterns."""
    config = {f"ds_{i}": _explicit_entry(i) for i in range(n // 2)}
    config.update({name: _deep_dict(entry) for name, entry in PATTERNS.items()})
    return config


def _explicit_entry(i: int) -> dict[str, Any]:
    template = EXPLICIT_ENTRIES[i % len(EXPLICIT_ENTRIES)]
    entry = _deep_dict(template)
    entry["filepath"] = entry["filepath"].replace("{i}", str(i))
    return entry


def _deep_dict(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_dict(v) if isinstance(v, Mapping) else v for k, v in entry.items()}


def catalog_names(n: int) -> list[str]:
    """The ``n`` names to resolve: every explicit entry, then pattern names in turn."""
    names = [f"ds_{i}" for i in range(n // 2)]
    makers: list[Callable[[int], str]] = [
        lambda i: f"t{i}_features",
        lambda i: f"t{i}_model",
        lambda i: f"{LAYERS[i % len(LAYERS)]}.t{i}",
        lambda i: f"t{i}_metrics",
        lambda i: f"t{i}_scratch",
    ]
    cycled = itertools.cycle(makers)
    names += [next(cycled)(i) for i in range(n - n // 2)]
    return names


def type_counts(datasets: Iterable[object]) -> dict[str, int]:
    """How many datasets of each class name (``CSVDataset``, ...): compared across frameworks."""
    return dict(sorted(Counter(type(d).__name__ for d in datasets).items()))


# -- memory workload -----------------------------------------------------------------------


def make_frame(frame: Mapping[str, int]) -> pd.DataFrame:
    """The source node: ``rows`` x ``columns`` uniform floats from ``seed``, one allocation.

    The array is wrapped without a copy (pandas would otherwise copy it, making the source
    node itself hold two frames for a moment).
    """
    import numpy as np
    import pandas as pd

    values = np.random.default_rng(frame["seed"]).random((frame["rows"], frame["columns"]))
    return pd.DataFrame(values, columns=[f"c{j}" for j in range(frame["columns"])], copy=False)


def shift(frame: pd.DataFrame) -> pd.DataFrame:
    """A transform node: a new frame, one allocation the size of its input."""
    return frame + 1.0


def summarise(frame: pd.DataFrame) -> float:
    """The sink: the mean of every value (a float, so the run's output is small)."""
    return float(frame.to_numpy().mean())


@dataclass(frozen=True, slots=True)
class MemorySpec:
    """One node of the memory workload, described without any framework."""

    name: str
    func: Callable[..., Any]
    inputs: str
    outputs: str


MEMORY_PARAMETER = "frame"
"""The parameter (``params:frame``) holding ``rows``, ``columns`` and ``seed``."""


def memory_specs(nodes: int) -> list[MemorySpec]:
    """Source, ``nodes`` transforms in a chain, sink; the free output is ``summary``."""
    specs = [MemorySpec("make_frame", make_frame, f"params:{MEMORY_PARAMETER}", "frame_0")]
    specs += [
        MemorySpec(f"shift_{i}", shift, f"frame_{i - 1}", f"frame_{i}") for i in range(1, nodes + 1)
    ]
    specs.append(MemorySpec("summarise", summarise, f"frame_{nodes}", "summary"))
    return specs


def frame_parameter(rows: int) -> dict[str, int]:
    """The value of ``params:frame`` for a frame of ``rows`` rows."""
    return {"rows": rows, "columns": MEMORY_COLUMNS, "seed": SEED}


def plain_loop(rows: int, nodes: int) -> float:
    """The same functions called in a plain loop: the expected output and a memory floor."""
    frame = make_frame(frame_parameter(rows))
    for _ in range(nodes):
        frame = shift(frame)
    return summarise(frame)


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text(encoding="ascii")
    found = re.search(rf"^{field}:\s+(\d+) kB$", text, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"/proc/self/status has no {field} (this benchmark needs Linux).")
    return int(found[1])


def reset_peak() -> int:
    """Collect garbage, reset the peak RSS (VmHWM) to the current RSS; return it in bytes.

    Writing ``5`` to ``/proc/self/clear_refs`` resets the high-water mark (Linux >= 4.0).

    Raises:
        RuntimeError: The peak cannot be reset: a later peak would not be this run's.
    """
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError as exc:
        raise RuntimeError(
            f"cannot reset the peak RSS through /proc/self/clear_refs: {exc}"
        ) from exc
    return _status_kib("VmRSS") * 1024


def peak_bytes() -> int:
    """The peak RSS (VmHWM) since the last :func:`reset_peak`, in bytes."""
    return _status_kib("VmHWM") * 1024


def frame_bytes(rows: int) -> int:
    """The size of one frame's values."""
    return rows * MEMORY_COLUMNS * 8


# -- measuring (in the case's own process) ---------------------------------------------------


class CatalogAdapter(Protocol):
    """What the catalog and memory benchmarks need from a framework."""

    name: str
    version: str

    def construct(self, config: dict[str, dict[str, Any]]) -> object:
        """Build a catalog from configuration (a fresh copy of ``config`` each time)."""

    def resolve(self, catalog: object, names: Sequence[str]) -> list[object]:
        """Create (or fetch) the dataset object behind every name."""

    def run_memory(self, rows: int, nodes: int, executor: str, workers: int | None) -> float:
        """Build and run the memory workload; return the ``summary`` output."""


def measure(adapter: CatalogAdapter, case: Case) -> Result:
    """Measure one case with ``adapter``."""
    if case.workload == "catalog":
        return _measure_catalog(adapter, case)
    if case.workload in MEMORY_ROWS:
        return _measure_memory(adapter, case)
    raise ValueError(f"Unknown workload {case.workload!r}.")


def _measure_catalog(adapter: CatalogAdapter, case: Case) -> Result:
    # Import every dataset class before timing: both frameworks import pandas on first use.
    adapter.resolve(adapter.construct(catalog_config(WARMUP_NAMES)), catalog_names(WARMUP_NAMES))
    names = catalog_names(case.n)
    result = Result(adapter.name, adapter.version, case)
    if case.phase == "construct":
        result.times_s, _ = time_repeats(lambda: catalog_config(case.n), adapter.construct, case)
        return result

    def fresh_catalog() -> object:
        return adapter.construct(catalog_config(case.n))

    def resolve_all(catalog: object) -> list[object]:
        return adapter.resolve(catalog, names)

    def construct_and_resolve(config: dict[str, dict[str, Any]]) -> list[object]:
        return adapter.resolve(adapter.construct(config), names)

    if case.phase == "resolve":
        result.times_s, datasets = time_repeats(fresh_catalog, resolve_all, case)
    elif case.phase == "total":
        prepare = functools.partial(catalog_config, case.n)
        result.times_s, datasets = time_repeats(prepare, construct_and_resolve, case)
    else:
        raise ValueError(f"Unknown catalog phase {case.phase!r}.")
    assert isinstance(datasets, list)
    result.sizes = type_counts(datasets)
    if sum(result.sizes.values()) != case.n:
        result.status = "error"
        result.detail = f"resolved {sum(result.sizes.values())} of {case.n} names"
    return result


def _measure_memory(adapter: CatalogAdapter, case: Case) -> Result:
    """Peak of the first full-size run; then the plain loop's peak and time; then a second run.

    Only the first run's peak counts. Its time includes the first touch of fresh memory, which
    on a virtual machine can cost the kernel far more than the computation; the second run and
    the plain loop reuse memory the process already touched, so their times compare.
    """
    rows = MEMORY_ROWS[case.workload]
    result = Result(adapter.name, adapter.version, case, gc="enabled; gc.collect() before runs")

    def run() -> float:
        return adapter.run_memory(rows, case.n, case.executor, case.workers)

    adapter.run_memory(WARMUP_ROWS, case.n, case.executor, case.workers)
    baseline = reset_peak()
    first, got = _timed(run)
    peak = peak_bytes()
    plain_baseline = reset_peak()
    result.floor_s, expected = _timed(lambda: plain_loop(rows, case.n))
    plain_peak = peak_bytes() - plain_baseline
    gc.collect()
    second, _ = _timed(run)
    result.times_s = [first, second]
    result.sizes = {
        "frame_bytes": frame_bytes(rows),
        "baseline_bytes": baseline,
        "peak_bytes": peak,
        "plain_loop_peak_above_baseline": plain_peak,
    }
    if got != expected:
        result.status = "error"
        result.detail = f"summary {got!r}, expected {expected!r}"
    return result


def _timed(action: Callable[[], float]) -> tuple[float, float]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


# -- plan and command line -------------------------------------------------------------------


def plan(quick: bool) -> list[Case]:
    """The catalog cases at both sizes, then the memory cases (5 and 10 nodes, 2 executors)."""
    sizes = QUICK_CATALOG_SIZES if quick else CATALOG_SIZES
    cases = [
        Case("catalog", n, phase, repeats=5, budget_s=20.0)
        for n in sizes
        for phase in ("construct", "resolve", "total")
    ]
    workload = "memory_quick" if quick else "memory"
    cases += [
        # Two timed runs (see _measure_memory); only the first one's peak counts.
        Case(workload, nodes, "peak", executor, workers=workers, repeats=2)
        for nodes in MEMORY_NODES
        for executor, workers in (("sequential", None), ("thread", 2))
    ]
    return [replace(c, repeats=min(c.repeats, 2)) for c in cases] if quick else cases


def main(
    adapter_factory: Callable[[], CatalogAdapter],
    framework: tuple[str, str],
    argv: Sequence[str] | None = None,
) -> int:
    """Entry point of a catalog benchmark script: measure one ``--case``, or drive the plan.

    Args:
        adapter_factory: Builds the framework adapter (imports the framework).
        framework: The framework's name and version, for results of failed cases.
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    return harness_main(
        adapter_factory,
        plan,
        framework,
        argv,
        measure_case=measure,
        description="Run one framework's catalog and memory cases; print JSON lines.",
    )
