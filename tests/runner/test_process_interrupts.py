"""A Ctrl-C at the worst moments of a process-executor run.

A Python signal handler raises between any two instructions of the main thread: between a
job's hand-over to the pool and the callback that reports its end, too. And a worker that
is idle when the run is interrupted ignores the SIGINT, then may still take a job that was
already handed over. No test sleeps: the node says it runs through a named pipe, and waits
on another that nobody writes to until the interrupt stops it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.runner import NodeJob, ProcessExecutor
from datamill.runner import _process as process_module
from datamill.runner._executors import signals_deferrable, signals_held
from datamill.runner._process_worker import execute
from tests.project.test_resume import needs_fifos
from tests.runner.contexts import one_job_context
from tests.runner.test_tracking import recorded

START_METHODS = multiprocessing.get_all_start_methods()


def halt(fifos: list[str]) -> int:
    """Say that the node runs, then wait for a line that nobody writes (until interrupted)."""
    running, never = fifos
    with open(running, "w", encoding="utf-8") as said:
        said.write("running\n")
    with open(never, encoding="utf-8") as wait:
        wait.readline()
    return 1


def mark(path: str) -> int:
    Path(path).write_text("ran", encoding="utf-8")
    return 1


@needs_fifos
@pytest.mark.parametrize("method", START_METHODS)
def test_a_ctrl_c_right_after_a_job_is_handed_over_keeps_what_its_worker_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    fifos = [tmp_path / "running.fifo", tmp_path / "never.fifo"]
    for fifo in fifos:
        os.mkfifo(fifo)

    class CtrlCAfterHandOver(ProcessPoolExecutor):
        """A pool on which Ctrl-C is pressed as soon as the node runs in its worker, before
        `submit` returns."""

        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = super().submit(fn, *args, **kwargs)
            if fn is execute:
                with open(fifos[0], encoding="utf-8") as said:
                    assert said.readline() == "running\n"
                signal.raise_signal(signal.SIGINT)
            return future

    monkeypatch.setattr(process_module, "ProcessPoolExecutor", CtrlCAfterHandOver)
    monkeypatch.setattr(process_module, "_default_start_method", lambda: method)
    catalog = DataCatalog({"fifos": MemoryDataset([str(f) for f in fifos])})
    pipeline = Pipeline([node(halt, "fifos", "out", name="halted")])

    detail = recorded(tmp_path, pipeline, catalog, "process")

    assert detail.status == "interrupted"
    [record] = detail.nodes
    assert record.status == "interrupted"
    assert record.attempts == 1  # the worker's outcome reached the record
    assert record.peak_memory is not None
    assert record.peak_memory > 1_000_000  # a Python process's, in bytes


@pytest.mark.parametrize("method", START_METHODS)
def test_a_job_that_a_worker_takes_after_the_run_was_interrupted_does_not_start(
    tmp_path: Path, method: str
) -> None:
    first, late = tmp_path / "first", tmp_path / "late"
    executor = ProcessExecutor(1, start_method=method)

    def job(path: Path) -> NodeJob:
        context = one_job_context({"path": MemoryDataset(str(path))}, {"out": MemoryDataset()})
        return NodeJob(0, node(mark, "path", "out", name=path.name), context)

    executor.start()
    try:
        executor.submit(job(first), alone=True)
        [done] = executor.wait()  # the worker has started, and is idle again
        assert done.error is None
        executor.interrupt()  # its SIGINT finds the worker idle: ignored
        executor.submit(job(late), alone=True)
        [refused] = executor.wait()
    finally:
        executor.close()

    assert first.exists()
    assert isinstance(refused.error, KeyboardInterrupt)
    assert refused.job.attempts == 0
    assert not late.exists()


class CtrlCAtWorkerStart(ProcessPoolExecutor):
    """A pool whose new workers get a SIGINT as soon as they exist, as when Ctrl-C is
    pressed while they start."""

    def _launch_processes(self) -> None:  # fork: all at the first job
        super()._launch_processes()  # type: ignore[misc]
        self.ctrl_c()

    def _adjust_process_count(self) -> None:  # spawn: one per job, as needed
        super()._adjust_process_count()
        self.ctrl_c()

    def ctrl_c(self) -> None:
        for pid in list(self._processes or ()):
            os.kill(pid, signal.SIGINT)


@pytest.mark.parametrize("method", sorted({"fork", "spawn"} & set(START_METHODS)))
def test_a_ctrl_c_that_reaches_a_starting_worker_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(process_module, "ProcessPoolExecutor", CtrlCAtWorkerStart)
    marked = tmp_path / "marked"
    executor = ProcessExecutor(1, start_method=method)
    context = one_job_context({"path": MemoryDataset(str(marked))}, {"out": MemoryDataset()})

    executor.start()
    try:
        executor.submit(NodeJob(0, node(mark, "path", "out"), context), alone=True)
        [done] = executor.wait()
    finally:
        executor.close()

    assert done.error is None  # the worker was not killed, and ran the job
    assert marked.exists()


def test_signals_held_run_their_handlers_once_the_block_is_over() -> None:
    handled: list[str] = []
    held: list[object] = []

    def handler(number: int, _frame: object) -> None:
        handled.append(signal.Signals(number).name)

    def block() -> None:
        with signals_deferrable():  # as a run does
            signal.raise_signal(signal.SIGTERM)  # not held: handled at once
            with signals_held():
                signal.raise_signal(signal.SIGTERM)
                signal.raise_signal(signal.SIGINT)
                handled.append("end of block")
                held.append(signal.getsignal(signal.SIGTERM))

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with pytest.raises(KeyboardInterrupt):  # SIGINT's handler ran after SIGTERM's
            block()
        assert signal.getsignal(signal.SIGTERM) is handler
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert handled == ["SIGTERM", "end of block", "SIGTERM"]
    assert held != [handler]  # held back inside the block
