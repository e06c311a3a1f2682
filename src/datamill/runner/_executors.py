"""Executors decide where a node's job runs; the scheduler decides when.

Every executor has the same small contract: ``workers`` (how many jobs run at once),
``capacity`` (how many jobs the scheduler may hand over before one finishes), ``problems()``
(checks before the run), ``start()``, ``submit(job, alone)``, ``wait()`` (block until at
least one job finished and return the finished ones), ``close()``, and optionally
``interrupt()`` (the run was interrupted: stop the running jobs if possible; the thread
and process executors do). ``alone`` tells the executor that no other job is running or ready,
so it may run this one inline, without a thread switch. An executor runs a job's error
hooks (``job.failed``) when the job fails.

Retries are the job's business: ``job.run()`` (and, in a worker process, the same
``Attempts`` loop around the call) retries the node's function as its policy says, so a job
reaches ``wait()`` once, after its last attempt, with ``job.attempts`` set.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Final, Protocol, TypeVar

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

T = TypeVar("T")

_WAIT_STEP: Final = 0.25  # seconds: how late the main thread may see a Ctrl-C, at worst
_HELD_SIGNALS: Final = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)  # the signals that stop a run (see `signals_deferrable`)


@dataclass(frozen=True, slots=True)
class Done:
    """A finished job, and the error it raised if it failed.

    ``started`` is false for a job the executor dropped without running it (after a failure).
    """

    job: NodeJob
    error: BaseException | None = None
    remote_traceback: str | None = None
    started: bool = True


class Executor(Protocol):
    """Where jobs run. See the module docstring for the contract."""

    name: str
    workers: int
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
        """Release resources; running jobs have finished when the scheduler calls this,
        unless the run was interrupted. It is also called after a ``start`` that raised,
        and then releases what that start acquired.

        An executor may also have ``interrupt()``, called when the run is interrupted
        (Ctrl-C, SIGTERM) while jobs run, before ``close()``: it stops them if it can, so
        that ``close()`` does not wait for them to finish. It is optional.

        So is ``measures_memory``: true for an executor that runs jobs outside this
        process and sets each job's ``peak_memory`` itself (the process executor). For
        the others, a node's peak memory in the journal is this process's peak.
        """


class SequentialExecutor:
    """Runs each job inline, one after the other, in the calling thread."""

    name = "sequential"

    def __init__(self, workers: int | None = None) -> None:
        if workers not in (None, 1):
            raise RunnerError(
                f"The sequential executor runs one node at a time; got workers={workers}. "
                "Use executor='thread' or 'process' for parallelism."
            )
        self.capacity = self.workers = 1
        self._finished: list[Done] = []

    def problems(self, pipeline: Pipeline) -> list[str]:
        return []

    def start(self) -> None:
        return None

    def submit(self, job: NodeJob, alone: bool) -> None:
        error = job.run()
        if error is not None:
            job.failed(error)
        self._finished.append(Done(job, error))

    def wait(self) -> list[Done]:
        finished, self._finished = self._finished, []
        return finished

    def close(self) -> None:
        return None


class ThreadExecutor:
    """Runs jobs on a pool of threads; suited to I/O-bound nodes and libraries releasing the GIL.

    Ready jobs are queued as soon as the scheduler has them, so a thread goes from one job
    to the next without waiting for the scheduler; after a failure, threads skip the jobs
    still queued (they are reported as not started). A job that is alone (nothing else
    running or ready) runs inline: a chain of nodes then costs no more than sequentially.

    When the run is interrupted (Ctrl-C reaches the main thread only), `interrupt` raises
    `KeyboardInterrupt` in each thread that is running a job, as Ctrl-C does in the main
    thread: at the thread's next Python instruction, so a node inside a long call into C
    (a sleep, a read, a NumPy operation) stops when that call returns. It needs CPython;
    elsewhere the run waits for the running jobs to finish.
    """

    name = "thread"
    capacity = sys.maxsize  # threads pull from the queue; `workers` bounds concurrency

    def __init__(self, workers: int | None = None) -> None:
        self.workers = _worker_count(workers, default=min(32, (os.cpu_count() or 1) + 4))
        self._jobs: queue.SimpleQueue[NodeJob | None] = queue.SimpleQueue()
        self._finished: queue.SimpleQueue[Done] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self._busy: set[int] = set()  # the threads running a job, by `threading.get_ident`
        self._busy_lock = threading.Lock()  # `interrupt` raises only in a busy thread
        self._interrupted = False

    def problems(self, pipeline: Pipeline) -> list[str]:
        return []

    def start(self) -> None:
        self._stopped = self._interrupted = False
        self._threads = [
            threading.Thread(target=self._work, name=f"datamill-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: NodeJob, alone: bool) -> None:
        if alone:
            self._finished.put(self._run(job))
        else:
            self._jobs.put(job)

    def wait(self) -> list[Done]:
        finished = [next_item(self._finished)]
        while not self._finished.empty():
            finished.append(self._finished.get_nowait())
        return finished

    def interrupt(self) -> None:
        self._stopped = True  # queued jobs must not start
        with self._busy_lock:
            self._interrupted = True
            for ident in self._busy:
                _raise_in_thread(ident, KeyboardInterrupt)

    def close(self) -> None:
        self._stopped = True  # if the run was interrupted, queued jobs must not start
        started = [t for t in self._threads if t.ident is not None]  # all, unless start failed
        for _ in started:
            self._jobs.put(None)
        for thread in started:
            thread.join()
        self._threads = []

    def _work(self) -> None:
        ident = threading.get_ident()
        while (job := self._jobs.get()) is not None:
            if self._stopped:
                self._finished.put(Done(job, started=False))
            else:
                self._finished.put(self._run_busy(job, ident))

    def _run_busy(self, job: NodeJob, ident: int) -> Done:
        """Run ``job`` on this thread (``ident``), which `interrupt` may stop meanwhile.

        The thread is busy from before the job starts until an interrupt that it has not
        raised yet is dropped (it came too late for the job): however late it comes, it
        never reaches the pool's loop.
        """
        done: Done | None = None
        while True:
            try:
                if done is None:
                    with self._busy_lock:
                        self._busy.add(ident)
                    done = self._run(job)
                with self._busy_lock:
                    self._busy.discard(ident)
                    if self._interrupted:
                        _raise_in_thread(ident, None)
            except KeyboardInterrupt as exc:  # `interrupt` came outside the node
                done = done or Done(job, exc)
                continue
            return done

    def _run(self, job: NodeJob) -> Done:
        try:
            error: BaseException | None = job.run()
        except KeyboardInterrupt as exc:
            if threading.current_thread() is threading.main_thread():
                raise  # Ctrl-C while the job ran inline: the run is interrupted, not failed
            if self._stopped:  # `interrupt` stopped it: the run is over, it did not fail
                return Done(job, exc)
            error = exc
        except BaseException as exc:  # e.g. SystemExit raised by a node: still report it
            error = exc
        if error is not None:
            self._stopped = True
            job.failed(error)
        return Done(job, error)


def next_item(items: queue.SimpleQueue[T]) -> T:
    """The next item of ``items``, waited for in short steps, so that Ctrl-C is handled
    within a step even when it cannot interrupt the wait: when a library has installed its
    SIGINT handler with ``SA_RESTART`` (Polars does: pola-rs/polars#21739), or when the
    signal reached another thread than the main one."""
    while True:
        try:
            return items.get(timeout=_WAIT_STEP)
        except queue.Empty:
            continue


Handler = Callable[[int, FrameType | None], object]


class _Deferrable:
    """A signal's Python handler, routed through `_HOLD`: run now, or once nothing holds it."""

    __slots__ = ("handler",)

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __call__(self, number: int, frame: FrameType | None) -> None:
        if _HOLD.depth:
            _HOLD.caught.append((self.handler, number))
        else:
            self.handler(number, frame)


class _Hold:
    """What `signals_held` counts: how deep the main thread is in held blocks, and the
    handlers of the signals that came meanwhile."""

    __slots__ = ("caught", "depth")

    def __init__(self) -> None:
        self.depth = 0
        self.caught: list[tuple[Handler, int]] = []

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.depth += 1

    def __exit__(self, *_: object) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.depth -= 1
        if self.depth == 0 and self.caught:
            caught, self.caught = self.caught, []
            for handler, number in caught:
                handler(number, None)


_HOLD = _Hold()


def signals_held() -> contextlib.AbstractContextManager[None]:
    """Hold back the Python handlers of the signals that stop a run (SIGINT, SIGTERM,
    SIGHUP) while the block runs, and run them once it is over, as they would have run in it.

    A Python signal handler runs, and raises (`KeyboardInterrupt`, or the command line's
    `Terminated`), between any two instructions of the main thread. Where two steps must
    not be parted, such as handing a job to a pool and registering the callback that reports
    its end, this keeps them together, at the cost of a counter. It holds the handlers that
    `signals_deferrable` routed (a run routes them for its whole length); elsewhere, and in
    any thread but the main one, it holds nothing. Hold nothing slow: a Ctrl-C waits for it.
    """
    return _HOLD


@contextlib.contextmanager
def signals_deferrable() -> Iterator[None]:
    """Route the Python handlers of the signals that stop a run through `signals_held` while
    the block runs (only the main thread can; a block inside another leaves them routed).

    A handler that replaces itself meanwhile (the command line's SIGTERM handler, after a
    first SIGTERM) keeps its replacement afterwards.
    """
    routed: dict[int, _Deferrable] = {}
    if threading.current_thread() is threading.main_thread():
        for number in _HELD_SIGNALS:
            handler = signal.getsignal(number)
            if callable(handler) and not isinstance(handler, _Deferrable):
                routed[number] = _Deferrable(handler)
                signal.signal(number, routed[number])
    try:
        yield
    finally:
        for number, router in routed.items():
            current: object = signal.getsignal(number)
            if current is router:
                signal.signal(number, router.handler)


def _raise_in_thread(ident: int, error: type[BaseException] | None) -> None:
    """Have thread ``ident`` raise ``error`` at its next Python instruction (None: forget
    one it has not raised yet). Only CPython can; elsewhere this does nothing."""
    if sys.implementation.name != "cpython":
        return
    import ctypes  # only when a run is interrupted: not on every start

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), None if error is None else ctypes.py_object(error)
    )


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
