"""Executors decide where a node's job runs; the scheduler decides when.

Every executor has the same small contract: ``capacity`` (how many jobs may run at once),
``submit(job, alone)``, ``wait()`` (block until at least one job finished and return the
finished ones) and ``close()``. ``alone`` tells the executor that no other job is running or
ready, so it may run this one inline, without a thread switch.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from datamill._text import did_you_mean
from datamill.errors import RunnerError
from datamill.pipeline import Pipeline
from datamill.runner._job import NodeJob

__all__ = [
    "EXECUTORS",
    "Done",
    "Executor",
    "SequentialExecutor",
    "ThreadExecutor",
    "create_executor",
]


@dataclass(frozen=True, slots=True)
class Done:
    """A finished job, and the error it raised if it failed."""

    job: NodeJob
    error: BaseException | None = None
    remote_traceback: str | None = None


class Executor(Protocol):
    """Where jobs run. See the module docstring for the contract."""

    name: str
    capacity: int

    def problems(self, pipeline: Pipeline) -> list[str]:
        """Why the pipeline cannot run here, checked before anything runs (empty if it can)."""

    def start(self) -> None:
        """Acquire resources (threads, processes) just before the first job."""

    def submit(self, job: NodeJob, alone: bool) -> None:
        """Start ``job``."""

    def wait(self) -> list[Done]:
        """Block until at least one submitted job has finished; return the finished ones."""

    def close(self) -> None:
        """Release resources; running jobs have finished when the scheduler calls this."""


class SequentialExecutor:
    """Runs each job inline, one after the other, in the calling thread."""

    name = "sequential"

    def __init__(self, workers: int | None = None) -> None:
        if workers not in (None, 1):
            raise RunnerError(
                f"The sequential executor runs one node at a time; got workers={workers}. "
                "Use executor='thread' or 'process' for parallelism."
            )
        self.capacity = 1
        self._finished: list[Done] = []

    def problems(self, pipeline: Pipeline) -> list[str]:
        return []

    def start(self) -> None:
        return None

    def submit(self, job: NodeJob, alone: bool) -> None:
        self._finished.append(Done(job, job.run()))

    def wait(self) -> list[Done]:
        finished, self._finished = self._finished, []
        return finished

    def close(self) -> None:
        return None


class ThreadExecutor:
    """Runs jobs on a pool of threads; suited to I/O-bound nodes and libraries releasing the GIL.

    A job that is alone (nothing else running or ready) runs inline: a chain of nodes then
    costs no more than with the sequential executor.
    """

    name = "thread"

    def __init__(self, workers: int | None = None) -> None:
        self.capacity = _worker_count(workers, default=min(32, (os.cpu_count() or 1) + 4))
        self._pool: ThreadPoolExecutor | None = None
        self._finished: queue.SimpleQueue[Done] = queue.SimpleQueue()

    def problems(self, pipeline: Pipeline) -> list[str]:
        return []

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.capacity, thread_name_prefix="datamill")

    def submit(self, job: NodeJob, alone: bool) -> None:
        if alone or self._pool is None:
            self._finished.put(Done(job, job.run()))
            return
        future = self._pool.submit(job.run)
        future.add_done_callback(lambda f: self._finished.put(_thread_done(job, f)))

    def wait(self) -> list[Done]:
        finished = [self._finished.get()]
        while not self._finished.empty():
            finished.append(self._finished.get_nowait())
        return finished

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _thread_done(job: NodeJob, future: Future[BaseException | None]) -> Done:
    # job.run() returns errors instead of raising, so only a crash of the hooks machinery
    # itself (or a KeyboardInterrupt in the thread) reaches the future.
    error = future.exception()
    return Done(job, error if error is not None else future.result())


def _worker_count(workers: int | None, default: int) -> int:
    if workers is None:
        return default
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise RunnerError(f"workers must be a whole number of at least 1, got {workers!r}.")
    return workers


def _process_executor(workers: int | None) -> Executor:
    from datamill.runner._process import ProcessExecutor

    return ProcessExecutor(workers)


EXECUTORS: dict[str, Callable[[int | None], Executor]] = {
    "sequential": SequentialExecutor,
    "thread": ThreadExecutor,
    "process": _process_executor,
}


def create_executor(name: str, workers: int | None = None) -> Executor:
    """Return the executor called ``name`` ("sequential", "thread" or "process").

    Raises:
        RunnerError: Unknown name (with the closest), or an invalid worker count.
    """
    factory = EXECUTORS.get(name)
    if factory is None:
        raise RunnerError(
            f"Unknown executor {name!r}.{did_you_mean(name, EXECUTORS)} "
            f"Choose one of: {', '.join(EXECUTORS)}."
        )
    return factory(workers)
