"""The process executor streams chunks: each is saved in the main process before the next.

A generator node, and a partitionwise node, send each chunk from the worker as soon as it is
produced, and the worker waits until the main process saved it before producing the next.
The node functions prove that ordering from inside the worker: before producing chunk k+1,
they check that the file of chunk k is already on disk, and fail otherwise. No test sleeps.

The functions live at module level, so that workers started with any method can import them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, Retry, hook_impl, node, run
from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import RunnerError
from datamill.io import AbstractDataset
from datamill.journal import Journal
from datamill.runner import Done, NodeJob, ProcessExecutor
from datamill.runner._process import _Chunk, _Stream
from datamill.runner._process_worker import Outcome, PeakMeter
from tests.project.test_partition_resume import expected, make_parts, pid
from tests.project.test_resume import needs_fifos
from tests.resources import runner_funcs as f
from tests.runner.contexts import one_job_context
from tests.runner.test_retries import Recording

START_METHODS = multiprocessing.get_all_start_methods()
MIB = 2**20


# -- node functions (run in the workers) ---------------------------------------------------


def numbered_chunks(folder: str, count: int) -> Iterator[dict[str, dict[str, int]]]:
    """Yield partitions c0, c1, ...; before each, fail unless the previous one is on disk."""
    for k in range(count):
        if k > 0 and not os.path.exists(os.path.join(folder, f"c{k - 1}.json")):
            raise AssertionError(f"c{k} was produced before c{k - 1} was saved")
        yield {f"c{k}": {"k": k, "pid": os.getpid()}}


def checked_partition(part: dict[str, int], out: str) -> dict[str, int]:
    """Double one partition; fail unless the previous partition's output is on disk."""
    index = part["i"]
    if index > 0 and not os.path.exists(os.path.join(out, f"p{index - 1}.json")):
        raise AssertionError(f"p{index} was computed before p{index - 1} was saved")
    return {"i": index, "double": 2 * index, "pid": os.getpid()}


def failing_partition(part: dict[str, int]) -> dict[str, int]:
    if part["i"] == 2:
        raise ValueError("partition p2 is corrupt")
    return part


def logged_chunks(log: str, count: int) -> Iterator[int]:
    """Yield 0, 1, ...; log each chunk as it is produced, and "closed" when the generator ends."""
    try:
        for k in range(count):
            _append(log, str(k))
            yield k
    finally:
        _append(log, "closed")


def fails_after_two_chunks(count: int) -> Iterator[int]:
    yield 0
    yield 1
    raise ValueError("the source went away after two chunks")


def dies_after_one_chunk(count: int) -> Iterator[int]:
    yield 0
    os.kill(os.getpid(), signal.SIGKILL)
    yield 1


def yields_a_lock(count: int) -> Iterator[Any]:
    yield 0
    yield threading.Lock()


def allocate(mib: int) -> int:
    """Touch every page of ``mib`` MiB of fresh memory, free it, return the page count."""
    block = bytearray(mib * MIB)
    pages = range(0, len(block), 4096)
    block[::4096] = b"\x01" * len(pages)
    return len(pages)


def after_allocating(pages: int) -> int:
    return pages + 1


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


# -- datasets and hooks (in the main process) ----------------------------------------------


class BreaksOnSecondSave(AbstractDataset[list[Any], Any]):
    """Keeps the chunks saved to it, but fails to save the second one."""

    accepts_chunks: ClassVar[bool] = True
    persistent: ClassVar[bool] = False

    def __init__(self) -> None:
        self.saved: list[Any] = []

    def _load(self) -> list[Any]:
        return list(self.saved)

    def _save(self, data: Any) -> None:
        if len(self.saved) == 1:
            raise OSError("disk full")
        self.saved.append(data)

    def _exists(self) -> bool:
        return bool(self.saved)

    def _describe(self) -> dict[str, Any]:
        return {"saved": len(self.saved)}


class Saves:
    """Records, in the main process, each save: dataset, partition ids, process id."""

    def __init__(self) -> None:
        self.events: list[tuple[str, list[str], int]] = []

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        self.events.append((dataset_name, sorted(data), os.getpid()))


class Errors:
    def __init__(self) -> None:
        self.errors: list[str] = []

    @hook_impl
    def on_node_error(self, error: BaseException, node: Any) -> None:
        self.errors.append(f"{node.name}: {type(error).__name__}")


class InterruptOnFirstSave:
    @hook_impl
    def after_dataset_saved(self, dataset_name: str) -> None:
        if dataset_name == "a":
            raise KeyboardInterrupt


def folder(path: Path) -> PartitionedDataset:
    return PartitionedDataset(str(path), "json.JSONDataset", filename_suffix=".json")


def no_reader_left() -> bool:
    return not any(t.name == "datamill-chunks" for t in threading.enumerate())


# -- chunks are saved one by one -----------------------------------------------------------


@pytest.mark.parametrize("method", START_METHODS)
def test_each_chunk_of_a_generator_is_saved_before_the_worker_produces_the_next(
    tmp_path: Path, method: str
) -> None:
    out = tmp_path / "chunks"
    catalog = DataCatalog(
        {"folder": MemoryDataset(str(out)), "chunks": folder(out)}, parameters={"count": 5}
    )
    saves = Saves()
    chosen = Recording(ProcessExecutor(2, start_method=method))
    pipe = Pipeline([node(numbered_chunks, ["folder", "params:count"], "chunks", name="gen")])

    run(pipe, catalog, executor=chosen, hooks=[saves])

    assert saves.events == [("chunks", [f"c{k}"], os.getpid()) for k in range(5)]
    written = {p.stem: json.loads(p.read_text()) for p in out.iterdir()}
    assert sorted(written) == [f"c{k}" for k in range(5)]
    assert os.getpid() not in {w["pid"] for w in written.values()}  # produced in a worker
    [done] = chosen.done
    assert done.error is None
    assert done.job.peak_memory is not None
    assert done.job.peak_memory > 0
    assert no_reader_left()


@pytest.mark.parametrize("method", START_METHODS)
def test_each_partition_is_saved_before_the_worker_computes_the_next(
    tmp_path: Path, method: str
) -> None:
    source = folder(tmp_path / "in")
    source.save({f"p{i}": {"i": i} for i in range(6)})
    out = tmp_path / "out"
    catalog = DataCatalog({"in": source, "out": folder(out)}, parameters={"out": str(out)})
    saves = Saves()
    pipe = Pipeline(
        [node(checked_partition, ["in", "params:out"], "out", name="double", partitionwise=True)]
    )

    run(pipe, catalog, executor=ProcessExecutor(2, start_method=method), hooks=[saves])

    assert saves.events == [("out", [f"p{i}"], os.getpid()) for i in range(6)]
    written = {p.stem: json.loads(p.read_text()) for p in out.iterdir()}
    assert {pid: w["double"] for pid, w in written.items()} == {f"p{i}": 2 * i for i in range(6)}
    assert os.getpid() not in {w["pid"] for w in written.values()}


def test_two_generators_stream_at_the_same_time(tmp_path: Path) -> None:
    catalog = DataCatalog(
        {"a": f.ChunkList(), "b": f.ChunkList()},
        parameters={"log_a": str(tmp_path / "a.log"), "log_b": str(tmp_path / "b.log"), "n": 50},
    )
    pipe = Pipeline(
        [
            node(logged_chunks, ["params:log_a", "params:n"], "a", name="gen_a"),
            node(logged_chunks, ["params:log_b", "params:n"], "b", name="gen_b"),
        ]
    )

    run(pipe, catalog, executor=ProcessExecutor(2))

    assert catalog["a"].load() == catalog["b"].load() == list(range(50))
    assert no_reader_left()


# -- failures ------------------------------------------------------------------------------


def test_a_chunk_that_cannot_be_saved_fails_the_node_and_stops_its_worker(tmp_path: Path) -> None:
    log = tmp_path / "produced.log"
    sink = BreaksOnSecondSave()
    catalog = DataCatalog({"parts": sink}, parameters={"log": str(log), "n": 10})
    errors = Errors()
    pipe = Pipeline([node(logged_chunks, ["params:log", "params:n"], "parts", name="gen")])

    with pytest.raises(RunnerError) as raised:
        run(pipe, catalog, executor=ProcessExecutor(2), hooks=[errors])

    assert str(raised.value).startswith("Node 'gen' failed: DatasetError: Could not save output")
    assert "OSError: disk full" in str(raised.value)
    assert raised.value.node_name == "gen"
    assert sink.saved == [0]
    assert _lines(log) == ["0", "1", "closed"]  # told to stop, the generator produced no more
    assert errors.errors == ["gen: DatasetError"]
    assert no_reader_left()


def test_an_error_after_two_chunks_keeps_them_saved_and_is_not_retried() -> None:
    sink = f.ChunkList()
    chosen = Recording(ProcessExecutor(1))
    retry = Retry(2, delay=0)
    pipe = Pipeline([node(fails_after_two_chunks, "params:n", "parts", name="gen", retry=retry)])

    with pytest.raises(RunnerError) as raised:
        run(pipe, DataCatalog({"parts": sink}, parameters={"n": 3}), executor=chosen)

    assert str(raised.value).startswith(
        "Node 'gen' failed: ValueError: the source went away after two chunks\n"
    )
    assert "fails_after_two_chunks" in (raised.value.remote_traceback or "")
    assert sink.chunks == [0, 1]
    assert chosen.attempts() == {"gen": 1}


def test_partitions_computed_before_an_error_stay_saved(tmp_path: Path) -> None:
    source = folder(tmp_path / "in")
    source.save({f"p{i}": {"i": i} for i in range(5)})
    catalog = DataCatalog({"in": source, "out": folder(tmp_path / "out")})
    pipe = Pipeline([node(failing_partition, "in", "out", name="check", partitionwise=True)])

    with pytest.raises(RunnerError, match=r"^Node 'check' failed: ValueError: partition p2"):
        run(pipe, catalog, executor="process")

    assert folder(tmp_path / "out").partition_ids() == ["p0", "p1"]


def test_a_chunk_that_cannot_be_pickled_fails_the_node_after_the_chunks_before_it() -> None:
    sink = f.ChunkList()
    pipe = Pipeline([node(yields_a_lock, "params:n", "parts", name="gen")])

    with pytest.raises(RunnerError, match="Node 'gen' ran, but its result cannot be sent back"):
        run(pipe, DataCatalog({"parts": sink}, parameters={"n": 2}), executor="process")

    assert sink.chunks == [0]


@pytest.mark.parametrize("method", START_METHODS)
def test_a_worker_killed_after_a_chunk_fails_the_node_without_hanging(method: str) -> None:
    sink = f.ChunkList()
    pipe = Pipeline([node(dies_after_one_chunk, "params:n", "parts", name="gen")])

    with pytest.raises(RunnerError, match="The worker process running node 'gen' died"):
        run(
            pipe,
            DataCatalog({"parts": sink}, parameters={"n": 2}),
            executor=ProcessExecutor(1, start_method=method),
        )

    assert sink.chunks == [0]
    assert no_reader_left()


def test_an_interrupt_while_chunks_are_in_flight_stops_every_worker(tmp_path: Path) -> None:
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
    catalog = DataCatalog(
        {"a": f.ChunkList(), "b": f.ChunkList()},
        parameters={"log_a": str(logs["a"]), "log_b": str(logs["b"]), "n": 1000},
    )
    pipe = Pipeline(
        [
            node(logged_chunks, ["params:log_a", "params:n"], "a", name="gen_a"),
            node(logged_chunks, ["params:log_b", "params:n"], "b", name="gen_b"),
        ]
    )

    with pytest.raises(KeyboardInterrupt):
        run(pipe, catalog, executor=ProcessExecutor(2), hooks=[InterruptOnFirstSave()])

    assert catalog["a"].load() == [0]
    for log in logs.values():
        produced = _lines(log)
        assert len(produced) < 1000
        assert produced[-1:] in ([], ["closed"])  # each generator that started was stopped
    assert no_reader_left()


# -- the job's end waits for its chunks ----------------------------------------------------


def test_a_job_is_reported_only_once_every_chunk_it_sent_was_saved() -> None:
    # The worker's result can overtake its last chunks in the main process: feed the
    # executor its events in that order.
    sink = f.ChunkList()
    ctx = one_job_context({}, {"parts": sink})
    job = NodeJob(0, node(f.chunks, "params:n", "parts", name="gen"), ctx)
    executor = ProcessExecutor(1)
    executor._streams[0] = _Stream(job)
    result: Future[tuple[Any, ...]] = Future()
    result.set_result(tuple(Outcome("ok", 1, 5 * MIB, chunks=2)))
    executor._events.put((job, result))
    chunks = [_Chunk(0, memoryview(pickle.dumps(value))) for value in (0, 1)]
    for chunk in chunks:
        executor._events.put(chunk)

    assert executor.wait() == [Done(job)]
    assert sink.chunks == [0, 1]
    assert all(chunk.handled.is_set() and chunk.keep_going for chunk in chunks)
    assert job.peak_memory == 5 * MIB
    assert job.ended is not None


# -- a crash loses only the partition in flight --------------------------------------------


@needs_fifos
def test_a_run_on_processes_killed_at_partition_12_keeps_the_12_before(tmp_path: Path) -> None:
    parts = make_parts(tmp_path, 20)

    parts.kill_when_halted(
        ["run", "--pipeline", "parts", "--executor", "process", "--workers", "2"],
        f"at {pid(12)}",
        MILL_HALT_AT=pid(12),
    )

    assert parts.ran() == Counter(pid(i) for i in range(12))
    assert parts.outputs() == expected(range(12))
    assert parts.hidden_files() == []
    with Journal(parts.journal_path) as journal:
        committed = journal.committed_partitions("double", "doubled")
    assert list(committed) == [pid(i) for i in range(12)]

    resumed = parts.datamill("run", "--resume", "--executor", "process")

    assert resumed.returncode == 0, resumed.stderr
    assert parts.ran() == Counter(pid(i) for i in range(20))  # each computed exactly once
    assert parts.outputs() == expected(range(20))


# -- peak memory ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", START_METHODS)
def test_each_node_gets_the_peak_memory_of_its_own_call(method: str) -> None:
    chosen = Recording(ProcessExecutor(1, start_method=method))
    pipe = Pipeline(
        [
            node(allocate, "params:mib", "pages", name="big"),
            node(after_allocating, "pages", "after", name="small"),
        ]
    )

    run(pipe, DataCatalog(parameters={"mib": 200}), executor=chosen)

    peaks = {d.job.node.name: d.job.peak_memory for d in chosen.done}
    big, small = peaks["big"], peaks["small"]
    assert big is not None
    assert small is not None
    assert big >= 200 * MIB
    assert small < big - 150 * MIB  # measured afresh for each node in the same worker


def test_without_proc_files_the_peak_is_the_process_peak_so_far() -> None:
    import resource

    meter = PeakMeter()
    meter.reset()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    assert meter.peak() in (rss, rss * 1024)  # bytes on macOS, KiB elsewhere
