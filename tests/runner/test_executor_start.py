"""A run whose executor is interrupted or fails while it starts leaves nothing behind.

`run` starts the executor (threads, worker processes, pipes) before the first node. A
Ctrl-C in that moment is raised once the start is complete, and `close` then releases all
of it; a start that raises half-way has what it acquired released too. What is checked is
what a user would see leak: threads still alive, worker processes, open file descriptors.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.runner import ProcessExecutor, ThreadExecutor
from datamill.runner import _process as process_module

START_METHODS = multiprocessing.get_all_start_methods()


def double(x: int) -> int:
    return 2 * x


def pipeline() -> Pipeline:
    return Pipeline([node(double, "x", "y", name="double")])


def catalog() -> DataCatalog:
    return DataCatalog({"x": MemoryDataset(2)})


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def datamill_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("datamill-")]


needs_proc = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc (Linux)"
)


class CtrlCAsThreadsStart(ThreadExecutor):
    """Ctrl-C is pressed as the last of the threads has just started."""

    def start(self) -> None:
        super().start()
        signal.raise_signal(signal.SIGINT)


class CtrlCAsWorkersStart(ProcessExecutor):
    """Ctrl-C is pressed as the pool, its pipes and (when forking) its workers are ready."""

    def start(self) -> None:
        super().start()
        signal.raise_signal(signal.SIGINT)


def test_a_ctrl_c_while_threads_start_stops_the_run_and_joins_every_thread() -> None:
    with pytest.raises(KeyboardInterrupt):
        run(pipeline(), catalog(), executor=CtrlCAsThreadsStart(3))

    assert datamill_threads() == []


@needs_proc
@pytest.mark.parametrize("method", START_METHODS)
def test_a_ctrl_c_while_workers_start_stops_the_run_and_closes_the_pool(method: str) -> None:
    run(pipeline(), catalog(), executor=ProcessExecutor(2, start_method=method))  # warm up
    before = open_descriptors()

    with pytest.raises(KeyboardInterrupt):
        run(pipeline(), catalog(), executor=CtrlCAsWorkersStart(2, start_method=method))

    assert multiprocessing.active_children() == []
    assert open_descriptors() == before


def test_a_thread_executor_that_fails_to_start_a_thread_joins_those_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_start = threading.Thread.start
    started: list[str] = []

    def start_two_of_three(thread: threading.Thread) -> None:
        if thread.name.startswith("datamill-"):
            if len(started) == 2:
                raise RuntimeError("can't start new thread")
            started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_two_of_three)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        run(pipeline(), catalog(), executor=ThreadExecutor(3))

    assert started == ["datamill-0", "datamill-1"]
    assert datamill_threads() == []


@needs_proc
def test_a_process_executor_whose_pool_cannot_start_closes_its_pipes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(pipeline(), catalog(), executor=ProcessExecutor(2))  # warm up
    before = open_descriptors()

    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(process_module, "ProcessPoolExecutor", no_pool)
    executor = ProcessExecutor(2)  # kept, as a caller may: its pipes are not collected
    with pytest.raises(OSError, match="Too many open files"):
        run(pipeline(), catalog(), executor=executor)

    assert open_descriptors() == before
