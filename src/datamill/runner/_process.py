"""The process executor: node functions run in a pool of worker processes.

Only the call itself crosses the process boundary. The main process loads inputs, runs
hooks and saves outputs, so hooks keep their state and memory datasets need no manager
process: each job ships its function and input values to a worker in one pickled payload,
and the worker sends back the pickled result (or the error and its traceback text).

Everything is pickled explicitly on both sides, so a value that cannot cross is reported
with the node and dataset it belongs to instead of a bare pickling error from the pool.

A node's retries happen in the worker, around the call: the inputs cross once, the
scheduler needs no timers, and the worker is busy while it waits between attempts, as a
thread is with the thread executor. The worker reports how many attempts it made. A worker
that dies is not retried (the pool is broken then). A generator node's chunks all come back
together, so it is retried whenever it fails: nothing of it was saved yet.

A partitionwise node gets only the partitions still to compute (the main process asks the
journal), and the worker computes them in turn, but sends their results back together: the
main process then saves and records each one. So committed partitions are skipped here too,
but memory holds the results of one job, and a crash loses every partition of the node in
flight; the sequential and thread executors commit each partition as it is computed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from datamill.errors import RunnerError
from datamill.pipeline import Node, Pipeline, Retry
from datamill.runner._executors import Done, _worker_count
from datamill.runner._job import Attempts, NodeJob, partition_chunks

__all__ = ["ProcessExecutor"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL


class ProcessExecutor:
    """Runs node functions in worker processes; suited to CPU-bound pure-Python nodes.

    Args:
        workers: Number of worker processes (default: the number of CPUs).
        start_method: How workers start: ``"fork"``, ``"forkserver"`` or ``"spawn"``. By
            default ``"fork"`` on Linux when the process runs a single thread (the fastest
            start), else ``"forkserver"`` where available, else ``"spawn"``.
    """

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self.capacity = self.workers = _worker_count(workers, default=os.cpu_count() or 1)
        self._start_method = start_method or _default_start_method()
        self._pool: ProcessPoolExecutor | None = None
        self._finished: queue.SimpleQueue[tuple[NodeJob, Future[tuple[Any, ...]]]] = (
            queue.SimpleQueue()
        )

    def problems(self, pipeline: Pipeline) -> list[str]:
        found = []
        checked: dict[int, str | None] = {}
        policies: dict[Retry, str | None] = {}
        for n in pipeline.nodes:
            key = id(n.func)
            if key not in checked:
                checked[key] = _pickling_problem(n.func) or self._import_problem(n.func)
            problem = checked[key]
            if problem is not None:
                found.append(
                    f"node {n.name!r} cannot be sent to a worker process: its function "
                    f"{n.func_name} {problem}. Define it at module level (not a lambda, closure "
                    "or local function), or use executor='thread'."
                )
            found.extend(_retry_problems(n, policies))
        return found

    def _import_problem(self, func: Callable[..., Any]) -> str | None:
        # Workers that do not fork import the function's module afresh: a function from an
        # interactive session (a REPL, `python -c`, a notebook) has no module to import.
        if self._start_method == "fork" or getattr(func, "__module__", None) != "__main__":
            return None
        if getattr(sys.modules.get("__main__"), "__file__", None):
            return None
        return (
            "is defined in an interactive session (__main__), which worker processes "
            f"started with {self._start_method!r} cannot import (on Linux, "
            "ProcessExecutor(start_method='fork') can run it)"
        )

    def start(self) -> None:
        context = multiprocessing.get_context(self._start_method)
        self._pool = ProcessPoolExecutor(self.capacity, mp_context=context)

    def submit(self, job: NodeJob, alone: bool) -> None:
        assert self._pool is not None, "start() must be called before submit()"
        try:
            args, kwargs = job.prepare()
            payload = _payload(job, args, kwargs)
        except Exception as exc:
            job.failed(exc)
            future: Future[tuple[Any, ...]] = Future()
            future.set_result(("prepare-error", exc))
            self._finished.put((job, future))
            return
        future = self._pool.submit(_execute, payload)
        future.add_done_callback(lambda f: self._finished.put((job, f)))

    def wait(self) -> list[Done]:
        finished = [self._finished.get()]
        while not self._finished.empty():
            finished.append(self._finished.get_nowait())
        return [_completed(job, future) for job, future in finished]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _default_start_method() -> str:
    # Forking is by far the fastest start (no interpreter start-up, no re-import of the
    # main script), and it is safe while no other thread could hold a lock at fork time.
    # Elsewhere, and on macOS where system libraries break after fork, use a clean start.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _pickling_problem(value: object) -> str | None:
    try:
        pickle.dumps(value, protocol=_PROTOCOL)
    except Exception as exc:
        return f"cannot be pickled ({type(exc).__name__}: {exc})"
    return None


def _retry_problems(node: Node, checked: dict[Retry, str | None]) -> list[str]:
    """Why the node's retry policy cannot reach a worker (each distinct policy pickled once)."""
    if node.retry is None:
        return []
    if node.retry not in checked:
        checked[node.retry] = _pickling_problem(node.retry)
    problem = checked[node.retry]
    if problem is None:
        return []
    return [
        f"node {node.name!r} cannot be sent to a worker process: its retry policy {problem}. "
        "Define the exception classes it retries on at module level."
    ]


def _payload(job: NodeJob, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    node = job.node
    keyword = node.input_keywords[0] if node.partitionwise and node.input_keywords else None
    mode = ("partitionwise", keyword) if node.partitionwise else node.is_generator
    call = (node.func, mode, args, kwargs, node.name, job.retry)
    try:
        return pickle.dumps(call, protocol=_PROTOCOL)
    except Exception as exc:
        culprit = _unpicklable_input(node, args, kwargs, job.retry)
        raise RunnerError(
            f"Node {node.name!r} cannot be sent to a worker process: {culprit} cannot be "
            f"pickled ({type(exc).__name__}: {exc}). Use executor='thread' for nodes that "
            "exchange objects such as open connections or locks.",
            node_name=node.name,
        ) from exc


def _unpicklable_input(
    node: Node, args: tuple[Any, ...], kwargs: dict[str, Any], retry: object
) -> str:
    values = list(args) + list(kwargs.values())
    for name, value in zip(node.inputs, values, strict=False):
        if _pickling_problem(value) is not None:
            return f"input {name!r}"
    if _pickling_problem(retry) is not None:
        return "its retry policy"
    return "its function or an input"


def _execute(payload: bytes) -> tuple[Any, ...]:
    """Run one node function in a worker process (module-level so that it can be pickled).

    Returns ``(kind, attempts, ...)``: ``("ok", attempts, pickled result)``, or ``("error",
    attempts, error, traceback text)``, or ``("unpicklable-result", attempts, reason,
    traceback text)``.
    """
    func, mode, args, kwargs, node_name, retry = pickle.loads(payload)
    attempts = Attempts(node_name, retry)
    try:
        if isinstance(mode, tuple):  # partitionwise: each partition is retried on its own
            attempts.count = 1
            chunks = partition_chunks(func, args, kwargs, mode[1], node_name=node_name, retry=retry)
            result = list(chunks)
        elif mode:
            result = attempts.call(lambda: list(func(*args, **kwargs)))
        else:
            result = attempts.call(lambda: func(*args, **kwargs))
    except BaseException as exc:
        return ("error", attempts.count, _portable(exc), traceback.format_exc())
    try:
        return ("ok", attempts.count, pickle.dumps(result, protocol=_PROTOCOL))
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        return ("unpicklable-result", attempts.count, reason, traceback.format_exc())


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _completed(job: NodeJob, future: Future[tuple[Any, ...]]) -> Done:
    error = future.exception()
    if error is not None:
        job.attempts = max(job.attempts, 1)  # the worker died during an attempt: how many?
        return _failed(job, _worker_died(job.node, error))
    outcome = future.result()
    kind = outcome[0]
    if kind == "prepare-error":
        return Done(job, outcome[1])
    job.attempts = outcome[1]
    if kind == "error":
        return _failed(job, outcome[2], outcome[3])
    if kind == "unpicklable-result":
        message = (
            f"Node {job.node.name!r} ran, but its result cannot be sent back from the worker "
            f"process ({outcome[2]}). Return picklable values, or use executor='thread'."
        )
        return _failed(job, RunnerError(message, node_name=job.node.name), outcome[3])
    try:
        job.finish(pickle.loads(outcome[2]))
    except Exception as exc:
        return _failed(job, exc)
    return Done(job)


def _failed(job: NodeJob, error: BaseException, remote_tb: str | None = None) -> Done:
    job.failed(error)
    return Done(job, error, remote_tb)


def _worker_died(node: Node, error: BaseException) -> BaseException:
    if isinstance(error, BrokenProcessPool):
        return RunnerError(
            f"The worker process running node {node.name!r} died: it was killed, ran out of "
            "memory, crashed in native code, or could not start (a script that runs a "
            "pipeline on processes must guard its entry point with "
            '`if __name__ == "__main__":`; the worker\'s own error is on stderr).',
            node_name=node.name,
        )
    return error
