"""What a recorded run writes about each node: timings, peak memory, fingerprints."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.datasets.json import JSONDataset
from datamill.datasets.partitions import PartitionedDataset
from datamill.hooks import create_hook_manager
from datamill.journal import Journal, NodeRecord, PartitionCount, RunDetail
from datamill.runner import RunInfo, Tracking, create_executor, run_with
from datamill.runner import _tracking as tracking_module
from datamill.runner._tracking import NodeFingerprints
from tests.journal.conftest import start


def recorded_run(tmp_path: Path, pipeline: Pipeline, catalog: DataCatalog) -> list[NodeRecord]:
    """Run ``pipeline`` sequentially, recorded in a new journal; its node records."""
    return list(recorded(tmp_path, pipeline, catalog).nodes)


def recorded(
    tmp_path: Path, pipeline: Pipeline, catalog: DataCatalog, executor: str = "sequential"
) -> RunDetail:
    """Run ``pipeline`` (sequentially by default) as run ``r1``, recorded in a new journal;
    the run as recorded, even if the run raised (a KeyboardInterrupt goes no further)."""
    with Journal(tmp_path / "journal.db") as journal:
        with contextlib.suppress(Exception, KeyboardInterrupt):
            run_with(
                pipeline,
                catalog,
                create_executor(executor, None),
                create_hook_manager([]),
                run_id="r1",
                tracking=Tracking(journal, RunInfo("chain"), incremental=False),
            )
        return journal.run("r1")


def quick(x: int) -> int:
    return x + 1


def seed() -> int:
    return 1


def slow(x: int) -> int:
    """Compute for 2 ms at least (a node long enough to have its peak memory read)."""
    deadline = time.perf_counter() + 0.002
    while time.perf_counter() < deadline:
        pass
    return x + 1


def test_the_peak_memory_is_read_after_the_first_node_and_after_nodes_of_a_millisecond(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings = iter(range(1_000, 100_000, 1_000))
    monkeypatch.setattr(tracking_module, "_peak_memory", lambda: next(readings))
    pipeline = Pipeline(
        [
            node(quick, "d0", "d1", name="first"),
            node(quick, "d1", "d2", name="quick_after_first"),
            node(slow, "d2", "d3", name="slow"),
            node(quick, "d3", "d4", name="quick_after_slow"),
        ]
    )

    records = recorded_run(tmp_path, pipeline, DataCatalog({"d0": MemoryDataset(1)}))
    peaks = {record.node_name: record.peak_memory for record in records}

    assert peaks == {
        "first": 1_000,
        "quick_after_first": 1_000,
        "slow": 2_000,
        "quick_after_slow": 2_000,
    }


def test_each_node_record_holds_its_timing_and_the_fingerprints_of_its_data(
    tmp_path: Path,
) -> None:
    pipeline = Pipeline([node(seed, None, "d1", name="a"), node(slow, "d1", "d2", name="b")])

    a, b = recorded_run(tmp_path, pipeline, DataCatalog())

    assert (a.status, b.status) == ("ran", "ran")
    assert a.started is not None
    assert a.ended is not None
    assert b.started is not None
    assert a.started <= a.ended <= b.started
    assert b.duration is not None
    assert b.duration >= 0.002
    assert a.attempts == b.attempts == 1
    (saved,) = a.saves
    assert saved.persisted is False
    assert saved.fingerprint is not None
    assert saved.fingerprint.startswith("node:")
    assert b.input_fingerprints == {"d1": saved.fingerprint}


# -- a run interrupted while a node runs ------------------------------------------------------


def interrupt(x: int) -> int:
    """Stand for Ctrl-C pressed while this node runs."""
    raise KeyboardInterrupt


def interrupt_at_third(part: dict[str, int]) -> dict[str, int]:
    if part["v"] == 2:
        raise KeyboardInterrupt
    return part


def test_the_node_running_when_the_run_is_interrupted_is_recorded_as_interrupted(
    tmp_path: Path,
) -> None:
    pipeline = Pipeline(
        [
            node(seed, None, "d1", name="a"),
            node(interrupt, "d1", "d2", name="b"),
            node(quick, "d2", "d3", name="c"),
        ]
    )

    detail = recorded(tmp_path, pipeline, DataCatalog())

    assert detail.status == "interrupted"
    assert detail.error == "KeyboardInterrupt"
    assert [(n.node_name, n.status) for n in detail.nodes] == [
        ("a", "ran"),
        ("b", "interrupted"),
        ("c", "not_reached"),
    ]
    a, b, _ = detail.nodes
    assert b.reason == "incremental runs are off"  # why it was running
    assert b.error == "KeyboardInterrupt"
    assert (b.attempts, b.saves) == (1, ())
    assert a.ended is not None
    assert b.started is not None
    assert b.ended is not None
    assert a.ended <= b.started <= b.ended
    assert b.duration is not None
    assert b.duration >= 0
    assert (detail.nodes_ran, detail.nodes_interrupted, detail.nodes_not_reached) == (1, 1, 1)


def fail(x: int) -> int:
    raise ValueError(f"cannot take {x}")


def die(x: int) -> int:
    os._exit(3)  # the worker dies, as when the system kills it for lack of memory


@pytest.mark.parametrize("stops", [fail, interrupt], ids=["failed", "interrupted"])
def test_a_node_that_fails_or_is_interrupted_in_this_process_has_its_peak_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops: Callable[[int], int]
) -> None:
    monkeypatch.setattr(tracking_module, "_peak_memory", lambda: 123_456)
    pipeline = Pipeline([node(seed, None, "d1", name="a"), node(stops, "d1", "d2", name="b")])

    _, b = recorded(tmp_path, pipeline, DataCatalog()).nodes

    assert b.status in {"failed", "interrupted"}
    assert b.peak_memory == 123_456


def test_a_node_that_fails_in_a_worker_has_the_workers_peak_and_one_whose_worker_died_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main_peak = 123_456  # what this process would say, which is not the node's peak
    monkeypatch.setattr(tracking_module, "_peak_memory", lambda: main_peak)
    pipeline = Pipeline([node(seed, None, "d1", name="a"), node(fail, "d1", "d2", name="b")])
    dying = Pipeline([node(seed, None, "d1", name="a"), node(die, "d1", "d2", name="b")])

    _, failed = recorded(tmp_path / "failed", pipeline, DataCatalog(), "process").nodes
    _, died = recorded(tmp_path / "died", dying, DataCatalog(), "process").nodes

    assert failed.status == "failed"
    assert failed.peak_memory is not None
    assert failed.peak_memory > 1_000_000  # a Python process's resident memory, in bytes
    assert failed.peak_memory != main_peak
    assert died.status == "failed"
    assert died.error is not None
    assert "died" in died.error
    assert died.peak_memory is None


def test_a_ctrl_c_as_records_are_committed_does_not_record_them_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_nodes = Journal.record_nodes
    batches: list[list[str]] = []

    def record_then_ctrl_c(journal: Journal, run_id: str, records: Iterable[NodeRecord]) -> None:
        batch = list(records)
        record_nodes(journal, run_id, batch)
        batches.append([r.node_name for r in batch])
        if len(batches) == 1:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C as the first batch is committed

    monkeypatch.setattr(Journal, "record_nodes", record_then_ctrl_c)
    catalog = DataCatalog({"d1": JSONDataset(str(tmp_path / "d1.json"))})
    pipeline = Pipeline([node(seed, None, "d1", name="a"), node(quick, "d1", "d2", name="b")])

    detail = recorded(tmp_path, pipeline, catalog)

    assert detail.status == "interrupted"
    assert batches == [["a"], ["b"]]  # a saved a file: committed before b could start
    assert [(n.node_name, n.status) for n in detail.nodes] == [("a", "ran"), ("b", "not_reached")]


def test_an_interrupted_partitionwise_node_says_how_many_partitions_it_computed(
    tmp_path: Path,
) -> None:
    out = PartitionedDataset(str(tmp_path / "out"), "json.JSONDataset", filename_suffix=".json")
    parts = {f"p{i}": {"v": i} for i in range(5)}
    catalog = DataCatalog({"parts": MemoryDataset(parts), "out": out})
    pipeline = Pipeline([node(interrupt_at_third, "parts", "out", partitionwise=True)])

    detail = recorded(tmp_path, pipeline, catalog)

    [record] = detail.nodes
    assert record.status == "interrupted"
    assert record.reason == "incremental runs are off; computed 2 of 5 partitions"
    assert detail.partitions == (PartitionCount(record.node_name, "out", 2),)


GUARD = 120  # seconds: only ends a node that was not interrupted; no assertion uses time


@pytest.fixture(params=[True, False], ids=["signals interrupt waits", "signals restart waits"])
def sigint_interrupts(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Whether SIGINT interrupts a wait in a system call, as Python sets it up, or not, as
    after Polars has installed its own handler (with ``SA_RESTART``: pola-rs/polars#21739)."""
    signal.siginterrupt(signal.SIGINT, request.param)
    try:
        yield request.param
    finally:
        signal.siginterrupt(signal.SIGINT, True)  # as Python sets it up


@pytest.mark.usefixtures("sigint_interrupts")
def test_ctrl_c_interrupts_the_nodes_running_on_the_thread_executors_threads(
    tmp_path: Path,
) -> None:
    both_run = threading.Barrier(2)
    stopped: list[str] = []

    def compute_until_interrupted(name: str) -> Callable[[int], int]:
        def compute(x: int) -> int:
            if both_run.wait() == 0:  # one of the two presses Ctrl-C
                main = threading.main_thread().ident
                assert main is not None
                signal.pthread_kill(main, signal.SIGINT)  # where Ctrl-C goes: the main thread
            deadline = time.monotonic() + GUARD
            try:
                while time.monotonic() < deadline:  # in Python: never leaves the interpreter
                    pass
            except KeyboardInterrupt:
                stopped.append(name)
                raise
            return x

        return compute

    pipeline = Pipeline(
        [
            node(seed, None, "d1", name="a"),
            node(compute_until_interrupted("left"), "d1", "left", name="left"),
            node(compute_until_interrupted("right"), "d1", "right", name="right"),
            node(lambda x, y: x + y, ["left", "right"], "d2", name="join"),
        ]
    )

    detail = recorded(tmp_path, pipeline, DataCatalog(), executor="thread")

    assert sorted(stopped) == ["left", "right"]  # both threads were interrupted
    assert detail.status == "interrupted"
    assert {n.node_name: n.status for n in detail.nodes} == {
        "a": "ran",
        "left": "interrupted",
        "right": "interrupted",
        "join": "not_reached",
    }


# -- catalog entries: how NodeFingerprints fingerprints them ---------------------------------


class Marker:
    """An object whose ``repr`` shows its memory address."""


class NoteDataset(MemoryDataset):
    """A dataset whose description holds any object."""

    def __init__(self, note: object) -> None:
        super().__init__()
        self.note = note

    def _describe(self) -> dict[str, object]:
        return {"note": self.note}


def test_catalog_entries_are_fingerprinted_like_parameters() -> None:
    fingerprints = NodeFingerprints(DataCatalog(), own_code=[])

    strict = fingerprints.catalog_entry(JSONDataset("a.json", load_args={"strict": 1}), "load")
    lax = fingerprints.catalog_entry(JSONDataset("a.json", load_args={"strict": True}), "load")

    assert strict.keys() == {"type", "load_args"}
    assert all(len(digest) == 32 for digest in strict.values())
    assert strict["type"] == lax["type"]
    assert strict["load_args"] != lax["load_args"]  # 1 and True differ, as for parameters


def test_a_catalog_entry_of_an_object_does_not_depend_on_its_address() -> None:
    fingerprints = NodeFingerprints(DataCatalog(), own_code=[])

    first = fingerprints.catalog_entry(NoteDataset(Marker()), "load")
    second = fingerprints.catalog_entry(NoteDataset(Marker()), "load")

    assert " at 0x" in repr(Marker())
    assert first == second
    assert first["note"] == f"type:{__name__}.Marker"


@pytest.mark.parametrize(
    ("other_pipeline", "other_ended", "warned"),
    [("chain", False, True), ("reports", False, False), ("chain", True, False)],
    ids=["same-pipeline-running", "other-pipeline", "same-pipeline-ended"],
)
def test_a_run_warns_when_another_run_of_its_pipeline_is_running(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    other_pipeline: str,
    other_ended: bool,
    warned: bool,
) -> None:
    with Journal(tmp_path / "journal.db") as journal:
        start(journal, "r0", pipeline=other_pipeline)  # by this process, which is alive
        if other_ended:
            journal.finish_run("r0", "succeeded")
    pipeline = Pipeline([node(seed, None, "d1", name="a")])

    with caplog.at_level("WARNING", logger="datamill.runner"):
        run = recorded(tmp_path, pipeline, DataCatalog())

    assert run.status == "succeeded"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if not warned:
        assert warnings == []
        return
    (message,) = warnings
    assert message.startswith(
        f"Run r0 of pipeline 'chain' is running too (process {run.pid}, started "
    )
    assert "both runs may compute the same nodes and write the same datasets" in message
