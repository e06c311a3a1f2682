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
that dies is not retried (the pool is broken then).

A generator node, and a partitionwise node (whose chunks are its partitions' results), send
each chunk back as soon as the function produced it, and commit chunk by chunk as with the
other executors. The worker writes the pickled chunk to a pipe shared by all workers (see
`_ChunkChannel`: frames that are never split, so no lock, and a write blocks while the pipe
is full), then waits for an answer on a pipe of its own before producing the next chunk. In
the main process, a reader thread takes one whole chunk at a time from the shared pipe and
hands it to the thread that runs the scheduler, which saves it inside ``wait()`` (where the
other executors' hooks run too) and, for a partitionwise node, records its partitions in
the journal; only then does the reader answer the worker, "go on", or "stop" if the save
failed (the job then fails with that error), and read on. So a worker holds one chunk at a
time, and the main process the chunk it saves (plus, at most, the part of another worker's
chunk read so far); a crash loses at most the chunks in flight; a generator is retried only
until its first chunk; an error raised after some chunks fails the job, and the chunks
saved stay. The worker's result may overtake its last chunk, so it
says how many chunks it sent, and the job is reported only once that many were handled.
``close()`` has the reader answer "stop" to every chunk still coming while the pool shuts
down, then ends it.

The worker also measures its peak resident memory while the function runs, reported as
``job.peak_memory``, and ends as soon as the main process does, however that ends (see
``_process_worker.py``).

Log records travel on pipes of their own, one per worker (see `_LogChannel`): a thread
reads them as they come and has the main process's loggers handle them, so a node logs
the same way on every executor, and a long node's records show while it runs. What a node
prints takes the same pipes and is written to the main process's standard output or error.
The worker's result says how many messages the job sent, and the job is reported only once
they were handled: a node's last record never comes after the line that says it finished.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_ready
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue
from typing import Any, TypeAlias

from datamill.errors import RunnerError
from datamill.pipeline import Node, Pipeline, Retry
from datamill.runner._executors import Done, _worker_count, next_item, signals_held
from datamill.runner._job import NodeJob
from datamill.runner._process_worker import (
    FRAME,
    GO,
    STOP,
    WORKERS_IGNORE,
    Outcome,
    WorkerSetup,
    execute,
    logging_levels,
    start_worker,
)

__all__ = ["ProcessExecutor"]

_log = logging.getLogger("datamill.runner")

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_NO_DATA = memoryview(b"")


@dataclass(slots=True, eq=False)
class _Chunk:
    """A chunk from a worker, on its way to the scheduler's thread to be saved.

    Attributes:
        token: The job it belongs to (its node index).
        data: The pickled chunk (emptied once taken).
        handled: Set once the chunk was saved, or dropped; the reader thread waits for it.
        keep_going: Whether the worker may produce its next chunk.
    """

    token: int
    data: memoryview
    handled: threading.Event = field(default_factory=threading.Event)
    keep_going: bool = False


@dataclass(slots=True, eq=False)
class _Stream:
    """A generator or partitionwise job in flight, as the scheduler's thread sees it.

    Attributes:
        job: The job.
        received: How many of its chunks were handled (saved, or dropped after an error).
        error: The first error saving a chunk: the job fails with it.
        future: The worker's result, once it came.
    """

    job: NodeJob
    received: int = 0
    error: Exception | None = None
    future: Future[tuple[Any, ...]] | None = None


_Event: TypeAlias = "Done | _Chunk | tuple[NodeJob, Future[tuple[Any, ...]]]"


class ProcessExecutor:
    """Runs node functions in worker processes; suited to CPU-bound pure-Python nodes.

    Args:
        workers: Number of worker processes (default: the number of CPUs).
        start_method: How workers start: ``"fork"``, ``"forkserver"`` or ``"spawn"``. By
            default ``"fork"`` on Linux when the process runs a single thread (the fastest
            start), else ``"forkserver"`` where available, else ``"spawn"``.
    """

    name = "process"
    measures_memory = True  # each job's peak, in its worker: see `_process_worker`

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self.capacity = self.workers = _worker_count(workers, default=os.cpu_count() or 1)
        self._start_method = start_method or _default_start_method()
        self._pool: ProcessPoolExecutor | None = None
        self._events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self._streams: dict[int, _Stream] = {}
        self._channel: _ChunkChannel | None = None
        self._relay = _Relay(self._events)
        self._reader: threading.Thread | None = None
        self._logs: _LogChannel | None = None
        self._lifeline: tuple[Connection, Connection] | None = None
        self._stopped = ctypes.c_bool(False)  # shared with the workers from `start`

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
        self._events = queue.SimpleQueue()
        self._streams = {}
        self._relay = _Relay(self._events)
        self._channel = _ChunkChannel(context, self.capacity)
        self._logs = _LogChannel(context, self.capacity)
        self._lifeline = context.Pipe(duplex=False)  # workers end when its write end closes
        self._stopped = context.RawValue(ctypes.c_bool, False)  # set by `interrupt`
        self._pool = ProcessPoolExecutor(
            self.capacity,
            mp_context=context,
            initializer=start_worker,
            initargs=(
                WorkerSetup(
                    *self._channel.worker_args,
                    logs=self._logs.writers,
                    levels=logging_levels(),
                    lifeline=self._lifeline,
                    stopped=self._stopped,
                ),
            ),
        )
        if self._start_method == "fork":
            # A forking pool forks every worker at its first job: give it one now, while
            # this process may still run one thread, as the run's threads start after this.
            with _workers_start_deaf(self._start_method):
                self._pool.submit(int)
        self._logs.start()

    def submit(self, job: NodeJob, alone: bool) -> None:
        assert self._pool is not None, "start() must be called before submit()"
        try:
            args, kwargs = job.prepare()
            payload = _payload(job, args, kwargs)
        except Exception as exc:
            job.failed(exc)
            self._events.put(Done(job, exc))
            return
        chunked = job.node.is_generator or job.node.partitionwise
        # A Ctrl-C between the hand-over and the callback would lose what the worker
        # measured (attempts, peak memory) for the record of the node it interrupts.
        with signals_held():
            if chunked:
                self._streams[job.index] = _Stream(job)
            with _workers_start_deaf(self._start_method):  # a spawning pool starts them here
                future = self._pool.submit(execute, payload)
            future.add_done_callback(lambda f: self._events.put((job, f)))
            if chunked and self._reader is None:
                self._start_reader()

    def wait(self) -> list[Done]:
        finished: list[Done] = []
        while not finished or not self._events.empty():
            done = self._handle(next_item(self._events))
            if done is not None:
                finished.append(done)
        return finished

    def interrupt(self) -> None:
        """Interrupt the nodes running in the workers, as Ctrl-C on a terminal does (the
        terminal signals every process of the run): when the signal reached the main process
        alone (``kill -INT``, SIGTERM), `close` must not wait for the nodes to finish. An
        idle worker ignores it, and a job that a worker takes after this is not started."""
        if self._pool is None:
            return
        self._stopped.value = True  # before the signal: a worker that misses it sees this
        if sys.platform == "win32":  # no SIGINT to send
            return
        workers = getattr(self._pool, "_processes", None) or {}  # pid -> process
        for pid in list(workers):
            with contextlib.suppress(OSError):  # it has just exited
                os.kill(pid, signal.SIGINT)

    def close(self) -> None:
        # Each part is released if `start` got to it: it may have raised half-way.
        if self._pool is not None:
            self._relay.close()  # the workers still sending chunks are told to stop
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._note_unsettled()
        if self._channel is not None:
            self._stop_reader()
        if self._logs is not None:
            self._logs.close()  # every worker has exited: the records left are all handled
            self._logs = None
        for end in self._lifeline or ():
            end.close()
        self._lifeline = None

    def _note_unsettled(self) -> None:
        """Give the jobs whose workers returned after the run stopped (it was interrupted)
        what their workers measured, attempts and peak memory, for the journal's record of
        the interrupted nodes. Nothing else of them is taken: the run is over."""
        while not self._events.empty():
            event = self._events.get()
            if not isinstance(event, tuple):  # a chunk or a failure: nothing measured
                continue
            job, future = event
            if not future.cancelled() and future.exception() is None:
                outcome = Outcome._make(future.result())
                job.attempts, job.peak_memory = outcome.attempts, outcome.peak_memory

    def _start_reader(self) -> None:
        # Started with the first job that sends chunks, after the pool has forked its
        # workers (forking while other threads run is unsafe), and daemonic so that it can
        # never keep the interpreter alive.
        self._reader = threading.Thread(
            target=_relay_chunks,
            args=(self._channel, self._relay),
            name="datamill-chunks",
            daemon=True,
        )
        self._reader.start()

    def _stop_reader(self) -> None:
        channel, reader = self._channel, self._reader
        assert channel is not None
        channel.stop()
        self._channel = self._reader = None
        if reader is None:
            channel.close()
        else:
            reader.join()  # it ends at once, and closes the channel

    def _handle(self, event: _Event) -> Done | None:
        """Take one event in the scheduler's thread: save a chunk, or settle a finished job."""
        if isinstance(event, Done):
            return event
        if isinstance(event, _Chunk):
            return self._take_chunk(event)
        job, future = event
        stream = self._streams.get(job.index)
        if stream is None:
            return self._settle(job, future)
        stream.future = future
        return self._finish_stream(stream)

    def _take_chunk(self, chunk: _Chunk) -> Done | None:
        data, chunk.data = chunk.data, _NO_DATA
        stream = self._streams.get(chunk.token)
        if stream is None:  # its job was already reported failed (its worker died)
            chunk.handled.set()
            return None
        try:
            chunk.keep_going = _saved(stream, data)
        finally:
            stream.received += 1
            chunk.handled.set()
        del data  # not kept alive while the job ends (after-hook, confirms)
        return self._finish_stream(stream)

    def _finish_stream(self, stream: _Stream) -> Done | None:
        """The job's outcome once its worker returned and every chunk it sent was handled."""
        future = stream.future
        if future is None or stream.received < _chunks_sent(future):
            return None
        del self._streams[stream.job.index]
        return self._settle(stream.job, future, stream)

    def _settle(
        self, job: NodeJob, future: Future[tuple[Any, ...]], stream: _Stream | None = None
    ) -> Done:
        """The Done of a job whose worker returned, or died."""
        error = future.exception()
        if error is not None:
            job.attempts = max(job.attempts, 1)  # the worker died during an attempt: how many?
            if stream is not None and stream.error is not None:
                return _failed(job, stream.error)
            return _failed(job, _worker_died(job.node, error))
        outcome = Outcome._make(future.result())
        job.attempts, job.peak_memory = outcome.attempts, outcome.peak_memory
        if self._logs is not None:
            self._logs.wait_for(job.index, outcome.logged)
        if stream is not None and stream.error is not None:
            return _failed(job, stream.error)
        return _outcome_done(job, outcome, chunked=stream is not None)


def _saved(stream: _Stream, data: memoryview) -> bool:
    """Save one chunk of the stream's job; return whether the worker may go on."""
    if stream.error is not None:
        return False
    try:
        stream.job.save_chunk(pickle.loads(data))
    except Exception as exc:
        stream.error = exc
        return False
    return True


def _chunks_sent(future: Future[tuple[Any, ...]]) -> int:
    return 0 if future.exception() is not None else Outcome._make(future.result()).chunks


def _outcome_done(job: NodeJob, outcome: Outcome, *, chunked: bool) -> Done:
    """The Done of a job from what its worker sent back (its chunks all saved)."""
    if outcome.kind == "error":
        return _failed(job, outcome.value, outcome.traceback)
    if outcome.kind == "unpicklable-result":
        message = (
            f"Node {job.node.name!r} ran, but its result cannot be sent back from the worker "
            f"process ({outcome.value}). Return picklable values, or use executor='thread'."
        )
        return _failed(job, RunnerError(message, node_name=job.node.name), outcome.traceback)
    if outcome.kind == "stopped":  # only asked after a save failed, which fails the job
        message = f"Node {job.node.name!r} was stopped before its last chunk."
        return _failed(job, RunnerError(message, node_name=job.node.name))
    try:
        if chunked:
            job.finish_chunks()
        else:
            job.finish(pickle.loads(outcome.value))
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


@contextlib.contextmanager
def _workers_start_deaf(start_method: str) -> Iterator[None]:
    """Block SIGINT and SIGHUP in this thread while the pool may start workers.

    A worker inherits the blocked signals and unblocks them in `start_worker`, once it
    ignores them: a Ctrl-C that reached a worker still starting would otherwise end it with
    a traceback and break the pool. Meanwhile this thread's signals wait, or go to another
    thread; either way they are handled once the block ends. Not for workers forked by a
    fork server, a process shared by all of this process's pools, which would keep the
    signals blocked for the children of the others too.
    """
    if start_method == "forkserver" or not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, WORKERS_IGNORE)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
    call = (node.func, mode, args, kwargs, node.name, job.retry, job.index)
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


# -- frames, main side -------------------------------------------------------------------------


class _Frames:
    """Puts the frames that workers write (see `send_frames`) back together, per slot."""

    def __init__(self) -> None:
        self._partial: dict[int, bytearray] = {}  # the frames so far of each slot's message

    def add(self, frame: bytes) -> tuple[int, int, memoryview] | None:
        """The slot, job token and data of the message ``frame`` completes, else None."""
        slot, token, last = FRAME.unpack_from(frame)
        data = memoryview(frame)[FRAME.size :]
        if slot in self._partial or not last:
            self._partial.setdefault(slot, bytearray()).extend(data)
            if not last:
                return None
            data = memoryview(self._partial.pop(slot))
        return slot, token, data

    def clear(self) -> None:
        self._partial.clear()


# -- the chunk channel, main side ----------------------------------------------------------


class _ChunkChannel:
    """The pipes that carry chunks from the workers to the main process, and the answers back.

    Every worker writes its chunks to one shared pipe, cut into frames that each fit in one
    atomic pipe write (``PIPE_BUF`` bytes) and name the worker's slot: frames of different
    workers may interleave, but none is ever split, so no lock is needed, and a worker that
    dies in the middle of a chunk leaves no half frame to wait for and no lock held. A write
    blocks while the pipe is full, so a worker cannot run ahead of the reader. Each worker
    reads the answers on a pipe of its own, claimed by slot number at start-up (a pool never
    has more workers than slots: it does not replace them, a dead worker breaks it).

    Args:
        context: The pool's multiprocessing context.
        workers: How many workers the pool has.
    """

    def __init__(self, context: BaseContext, workers: int) -> None:
        self._chunks, writer = context.Pipe(duplex=False)
        answers = [context.Pipe(duplex=False) for _ in range(workers)]
        self._answers = [answer_writer for _, answer_writer in answers]
        slots: SimpleQueue[int] = context.SimpleQueue()
        for slot in range(workers):
            slots.put(slot)
        self.worker_args = (writer, [answer_reader for answer_reader, _ in answers], slots)
        self._stopped, self._stopper = context.Pipe(duplex=False)
        self._frames = _Frames()

    def receive(self) -> tuple[int, _Chunk] | None:
        """The next whole chunk and its worker's slot; None once stopped (waits until either)."""
        while (frame := self._next_frame()) is not None:
            if (message := self._frames.add(frame)) is not None:
                slot, token, data = message
                return slot, _Chunk(token, data)
        return None

    def _next_frame(self) -> bytes | None:
        try:
            if self._stopped in wait_for_ready([self._chunks, self._stopped]):
                return None
            return self._chunks.recv_bytes()  # a frame is whole once any of it is there
        except (EOFError, OSError):
            return None

    def answer(self, slot: int, keep_going: bool) -> None:
        """Tell the worker in ``slot`` whether to produce its next chunk."""
        with contextlib.suppress(OSError):  # the worker is gone
            self._answers[slot].send_bytes(GO if keep_going else STOP)

    def stop(self) -> None:
        """End `receive` (once the pool's workers have exited)."""
        self._stopper.send_bytes(b"")

    def close(self) -> None:
        """Close the main process's ends of every pipe (once the reader thread ended)."""
        writer, answer_readers, slots = self.worker_args
        for connection in (self._chunks, writer, self._stopped, self._stopper):
            connection.close()
        for answer_reader, answer_writer in zip(answer_readers, self._answers, strict=True):
            answer_reader.close()
            answer_writer.close()
        slots.close()
        self._frames.clear()


# -- log records, main side ------------------------------------------------------------------


class _LogChannel:
    """The workers' log records and printed text: a pipe per worker slot, and the thread
    that handles them.

    Each record is handled by the main process's logger of the same name (its levels,
    filters, handlers and propagation apply), in the reader thread, as it comes; printed
    text is written to the main process's stream of the same name. The handled messages of
    each job are counted, so that `wait_for` can hold a job's report back until its
    messages were handled.

    Args:
        context: The pool's multiprocessing context.
        workers: How many workers the pool has.
    """

    def __init__(self, context: BaseContext, workers: int) -> None:
        pipes = [context.Pipe(duplex=False) for _ in range(workers)]
        self._readers = [reader for reader, _ in pipes]
        self.writers = [writer for _, writer in pipes]
        self._stopped, self._stopper = context.Pipe(duplex=False)
        self._frames = _Frames()
        self._handled: dict[int, int] = {}  # job token -> records handled
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading, once the pool has forked its workers (see `ProcessExecutor.start`)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="datamill-logs", daemon=True)
            self._thread.start()

    def wait_for(self, token: int, count: int) -> None:
        """Return once ``count`` messages of job ``token`` were handled."""
        with self._changed:
            self._changed.wait_for(lambda: self._handled.get(token, 0) >= count or not self._on)
            self._handled.pop(token, None)

    @property
    def _on(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Handle the records still in the pipes, stop reading, close the pipes (once every
        worker has exited)."""
        for writer in self.writers:  # the last ends open: each pipe ends once it is read
            writer.close()
        if self._thread is not None:
            self._stopper.send_bytes(b"")
            self._thread.join()
        for connection in (*self._readers, self._stopped, self._stopper):
            connection.close()
        self._frames.clear()

    def _read(self) -> None:
        readers = list(self._readers)
        try:
            while readers:
                ready = wait_for_ready([*readers, self._stopped])
                if self._stopped in ready:  # the workers have exited: their records are here
                    for reader in readers:
                        self._drain(reader)
                    break
                for reader in [r for r in readers if r in ready]:
                    if not self._receive(reader):
                        readers.remove(reader)
        finally:
            with self._changed:
                self._changed.notify_all()  # `wait_for` stops waiting once reading stopped

    def _receive(self, reader: Connection) -> bool:
        """Take one frame from ``reader``; False once its pipe is closed."""
        try:
            frame = reader.recv_bytes()  # whole: each frame was one atomic write
        except (EOFError, OSError):
            return False
        if (message := self._frames.add(frame)) is not None:
            _, token, data = message
            self._handle(token, data)
        return True

    def _drain(self, reader: Connection) -> None:
        with contextlib.suppress(EOFError, OSError):
            while reader.poll() and self._receive(reader):
                pass

    def _handle(self, token: int, data: memoryview) -> None:
        try:
            message = pickle.loads(data)
            if isinstance(message, tuple):  # printed text: (stream name, text)
                _write_printed(*message)
            else:
                record = logging.makeLogRecord(message)
                logger = logging.getLogger(record.name)
                if logger.isEnabledFor(record.levelno):
                    logger.handle(record)
        except Exception:  # a message that cannot be read, a failing filter: read on
            _log.warning("A message of a worker process could not be handled", exc_info=True)
        finally:
            with self._changed:
                self._handled[token] = self._handled.get(token, 0) + 1
                self._changed.notify_all()


def _write_printed(name: str, text: str) -> None:
    """Write what a worker printed to this process's stream of that name (looked up now:
    the live display replaces them while it is up)."""
    stream = sys.stdout if name == "stdout" else sys.stderr
    if stream is not None:
        stream.write(text)
        stream.flush()


class _Relay:
    """Hands chunks from the reader thread to the scheduler's thread, one at a time."""

    def __init__(self, events: queue.SimpleQueue[_Event]) -> None:
        self._events = events
        self._lock = threading.Lock()
        self._closed = False
        self._current: _Chunk | None = None

    def hand_over(self, chunk: _Chunk) -> None:
        """Queue ``chunk`` for the scheduler's thread; wait until it was handled (or closed)."""
        with self._lock:
            if self._closed:
                return
            self._current = chunk
        self._events.put(chunk)
        chunk.handled.wait()

    def close(self) -> None:
        """Hand nothing over any more: the chunk waiting, and every later one, are dropped."""
        with self._lock:
            self._closed = True
            if self._current is not None:
                self._current.handled.set()


def _relay_chunks(channel: _ChunkChannel, relay: _Relay) -> None:
    """The reader thread: hand each chunk over, then answer its worker, until stopped."""
    try:
        while (received := channel.receive()) is not None:
            slot, chunk = received
            relay.hand_over(chunk)
            channel.answer(slot, chunk.keep_going)
    finally:
        channel.close()
