"""What runs in the process executor's workers: the call, its chunks, its peak memory.

`execute` runs one job in a worker: it calls the node's function (with its retries), and
returns an `Outcome`: the pickled result, or, for a node that produces chunks, how many
chunks it sent. Those go through the chunk channel one by one as they are produced (see
``_process.py``): each chunk is pickled and written to the pipe shared by all workers, cut
into frames of at most ``PIPE_BUF`` bytes, each written in one atomic write and naming the
worker's slot and the job; then the worker waits for the main process's answer (go on, or
stop) on a pipe of its own before producing the next chunk.

The worker also measures its peak resident memory over the call. On Linux, writing ``5``
to ``/proc/self/clear_refs`` resets the high-water mark VmHWM of ``/proc/self/status``
(see ``man 5 proc``); the files stay open in the worker and `PeakMeter` reads the mark
through ``getrusage`` when that is exact, so a measure costs a few microseconds. Elsewhere,
or if that fails, the measure is the worker's peak since it started (``getrusage``), which
may include earlier nodes.

A worker's log records are handled by the main process, as if logged there: `start_worker`
takes the handlers off the worker's loggers (a forked worker inherits the main process's),
copies the main process's logger levels (a spawned one starts without them), and puts one
handler on the root logger that pickles each record (its message formatted, its traceback
as text) and writes it to a pipe of the worker's own, in frames of one atomic write each, as
chunks are written (a worker that dies mid-record leaves no half frame to wait for). What a
node prints takes the same pipe: the worker's ``sys.stdout`` and ``sys.stderr`` send whole
lines (and whatever is flushed), which the main process writes to its own streams of the
same name, above a live display if one is up. The job's `Outcome` says how many messages it
sent, so that the main process reports the job only after handling them.

A worker never outlives the main process. The main process holds the only write end of a
pipe, the *lifeline* (each worker closes the copy it may have inherited), and a thread of
each worker waits to read from it: when the main process ends, however it ends (SIGKILL,
the out-of-memory killer), the read fails at once and the worker exits, even in the middle
of a node. Without this, a killed run's workers would run their nodes to the end, then wait
for work forever, holding their memory.

Ctrl-C on a terminal sends SIGINT to every process of the run. A worker takes it only
while it runs a node, which then stops as the main process does; an idle worker ignores
it and is ended by the pool's shutdown, rather than dying with a traceback of its own. A
worker starts with SIGINT and SIGHUP blocked, and unblocks them once it ignores them (see
``_workers_start_deaf`` in ``_process.py``). A job that it takes after the run was
interrupted is not started: the main process sets ``WorkerSetup.stopped`` before it sends
its SIGINT, which an idle worker would miss.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import logging
import os
import pickle
import select
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.queues import SimpleQueue
from typing import Any, NamedTuple, TextIO

from datamill.runner._job import Attempts, partition_chunks, started_chunks

__all__ = [
    "FRAME",
    "GO",
    "STOP",
    "WORKERS_IGNORE",
    "LogLevels",
    "Outcome",
    "PeakMeter",
    "WorkerSetup",
    "execute",
    "logging_levels",
    "send_frames",
    "start_worker",
]

_PROTOCOL = pickle.HIGHEST_PROTOCOL
GO, STOP = b"1", b"0"  # the main process's answers to a chunk
FRAME = struct.Struct("!ii?")  # a frame's header: its worker's slot, the job's token, last?
_LENGTH = struct.Struct("!i")  # the length prefix of a message of `Connection.recv_bytes`
# A write of at most PIPE_BUF bytes to a pipe is atomic. Windows pipes carry whole messages.
_PIPE_BUF: int | None = getattr(select, "PIPE_BUF", None)
_FRAME_DATA = sys.maxsize if _PIPE_BUF is None else _PIPE_BUF - _LENGTH.size - FRAME.size


class Outcome(NamedTuple):
    """What a worker sends back for one job.

    Attributes:
        kind: ``"ok"``; ``"error"`` (the function raised); ``"unpicklable-result"`` (the
            result, or a chunk, cannot be pickled); ``"stopped"`` (the main process asked
            for no more chunks).
        attempts: How many times the function was called.
        peak_memory: The worker's peak resident memory in bytes while the function ran.
        value: The pickled result (``"ok"``, for a node without chunks), the error
            (``"error"``) or why the result cannot be pickled (``"unpicklable-result"``).
        traceback: The error's traceback text.
        chunks: How many chunks were sent to the main process.
        logged: How many messages (log records, printed text) the job sent to the main
            process.
    """

    kind: str
    attempts: int
    peak_memory: int | None
    value: Any = None
    traceback: str | None = None
    chunks: int = 0
    logged: int = 0


class _UnpicklableChunkError(Exception):
    """A chunk that cannot be pickled (carries the reason)."""


def send_frames(connection: Connection, slot: int, token: int, data: memoryview) -> None:
    """Write ``data`` to ``connection``'s pipe in frames that each fit in one atomic write,
    so that a reader never waits for the rest of a frame (see `FRAME`)."""
    if _PIPE_BUF is None:  # a Windows pipe message is never split nor interleaved
        connection.send_bytes(FRAME.pack(slot, token, True) + data)
        return
    fd, size = connection.fileno(), len(data)
    for start in range(0, size, _FRAME_DATA):
        frame = FRAME.pack(slot, token, start + _FRAME_DATA >= size)
        frame += data[start : start + _FRAME_DATA]
        record = _LENGTH.pack(len(frame)) + frame  # as `Connection.send_bytes` frames it
        if os.write(fd, record) != len(record):  # one write: atomic, all or nothing
            raise OSError("a frame was not written whole")


class _WorkerLink:
    """A worker's end of the chunk channel (see ``_ChunkChannel`` in ``_process.py``)."""

    def __init__(self, chunks: Connection, answers: Connection, slot: int) -> None:
        self.chunks = chunks
        self.answers = answers
        self.slot = slot

    def send(self, token: int, data: memoryview) -> None:
        """Send one pickled chunk of job ``token``, frame by frame."""
        send_frames(self.chunks, self.slot, token, data)

    def keep_going(self) -> bool:
        """Wait for the main process's answer to the chunk just sent."""
        try:
            return self.answers.recv_bytes() == GO
        except (EOFError, OSError):  # the main process is gone
            return False


class PeakMeter:
    """Measures a worker's peak resident memory over one call.

    On Linux, `reset` writes ``5`` to ``/proc/self/clear_refs``, which brings the process's
    high-water mark (VmHWM) down to its resident size, and `peak` reads the mark. Reading
    ``/proc/self/status`` costs about 10 µs, ``getrusage`` about 1 µs, but ``getrusage``
    reports the larger of the mark and a floor of its own (raised at exec and whenever a
    thread exits; a spawned worker's floor is its parent's peak). So `reset` also checks, in
    ``/proc/self/statm``, that this floor is not above the resident size: then nothing in
    the call can lift it above the mark, and `peak` is ``getrusage``; else `peak` reads the
    mark in ``/proc/self/status``. The three files stay open in the worker. Without them, or
    if any of this fails, `peak` is the worker's peak since it started (``getrusage``).
    """

    def __init__(self, files: tuple[int, int, int] | None = None, page_size: int = 0) -> None:
        self._files = files  # clear_refs, statm, status
        self._page_size = page_size
        self._exact = False  # whether getrusage gives the peak since the last reset

    @classmethod
    def open(cls) -> PeakMeter:
        """The meter of this process (call it in the process it measures)."""
        opened: list[int] = []
        try:
            for path, flags in _PROC_FILES:
                opened.append(os.open(path, flags))
            page_size = os.sysconf("SC_PAGE_SIZE")
        except (OSError, AttributeError, ValueError):  # no /proc, or no sysconf (Windows)
            _close_all(opened)
            return cls()
        return cls((opened[0], opened[1], opened[2]), page_size)

    def reset(self) -> None:
        """Start measuring from the memory in use now."""
        if self._files is None:
            return
        clear_refs, statm, _ = self._files
        try:
            os.write(clear_refs, b"5")
            floor = _max_rss()
            resident = int(os.pread(statm, 256, 0).split()[1]) * self._page_size
        except (OSError, ValueError, IndexError):  # e.g. a kernel before 4.0, not permitted
            self._close()
            return
        self._exact = floor is not None and floor <= resident

    def peak(self) -> int | None:
        """The peak resident memory in bytes since `reset` (or as the fallback says)."""
        if self._files is not None and not self._exact:
            try:
                return _high_water_mark(os.pread(self._files[2], 4096, 0))
            except (OSError, ValueError):
                self._close()
        return _max_rss()

    def _close(self) -> None:
        if self._files is not None:
            _close_all(self._files)
        self._files = None
        self._exact = False


_PROC_FILES = (
    ("/proc/self/clear_refs", os.O_WRONLY),
    ("/proc/self/statm", os.O_RDONLY),
    ("/proc/self/status", os.O_RDONLY),
)


def _close_all(fds: Iterable[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _high_water_mark(status: bytes) -> int:
    """VmHWM from the text of ``/proc/<pid>/status``, in bytes (ValueError if absent)."""
    start = status.index(b"VmHWM:") + len(b"VmHWM:")
    return int(status[start : status.index(b"kB", start)]) * 1024


if sys.platform == "win32":  # pragma: no cover - no resource module

    def _max_rss() -> int | None:
        """The peak resident memory of this process since it started (unknown here)."""
        return None

else:
    import resource

    _RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB

    def _max_rss() -> int | None:
        """The peak resident memory of this process since it started, in bytes."""
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _RSS_UNIT


# -- log records -------------------------------------------------------------------------------

LogLevels = tuple[dict[str, tuple[int, bool]], int]
"""The main process's logging levels: logger name ("" for the root) -> (level, disabled),
for the loggers that set either, and the level of ``logging.disable``."""


def logging_levels() -> LogLevels:
    """This process's logging levels, for a worker to copy (see `LogLevels`)."""
    root = logging.root
    levels = {"": (root.level, root.disabled)}
    for name, found in root.manager.loggerDict.items():
        if isinstance(found, logging.Logger) and (found.level or found.disabled):
            levels[name] = (found.level, found.disabled)
    return levels, root.manager.disable


class _LogPipe:
    """A worker's end of its log pipe, shared by its log records and printed text.

    Each message names the job running (-1 between jobs, e.g. from a thread a node left
    behind), and the messages of each job are counted. One message is written at a time, so
    that the frames of two threads' messages never interleave, and a job starts and ends
    between messages, so that its count is exact.
    """

    def __init__(self, connection: Connection, slot: int) -> None:
        self.connection = connection
        self.slot = slot
        self._token = -1
        self._sent = 0
        self._lock = threading.Lock()

    def begin(self, token: int) -> None:
        """Count the messages sent from now on as job ``token``'s."""
        with self._lock:
            self._token, self._sent = token, 0

    def end(self) -> int:
        """Stop counting for the job; how many messages it sent."""
        with self._lock:
            self._token = -1
            return self._sent

    def send(self, data: memoryview) -> None:
        """Send one pickled message, as the job running's."""
        with self._lock:
            send_frames(self.connection, self.slot, self._token, data)
            self._sent += 1


class _LogForwarder(logging.Handler):
    """Sends each record to the main process through the worker's log pipe."""

    def __init__(self, pipe: _LogPipe) -> None:
        super().__init__()
        self.pipe = pipe

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.pipe.send(_pickled_record(record))
        except Exception:
            self.handleError(record)


class _Printed(io.TextIOBase):
    """A worker's ``sys.stdout`` or ``sys.stderr``: what a node prints goes to the main
    process, which writes it to its own stream of that name.

    Text is sent a line at a time (several if written at once) and on `flush`, so a progress
    bar that rewrites its line and flushes is seen as it moves. If the pipe fails, text goes
    to the stream the worker started with, as it would have without this.
    """

    _KEEP_AT_MOST = 1 << 16  # characters of a line kept back before sending them anyway

    def __init__(self, name: str, pipe: _LogPipe, original: TextIO) -> None:
        super().__init__()
        self.name = name
        self._pipe = pipe
        self._original = original
        self._pending = ""
        self._lock = threading.Lock()

    # TextIOBase's own are read-only properties too, typed as attributes in typeshed
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._original, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._original.isatty()

    def fileno(self) -> int:  # writes to the descriptor itself are not forwarded
        return self._original.fileno()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            lines, newline, rest = text.rpartition("\n")
            if newline:
                whole, self._pending = self._pending + lines + newline, rest
                self._send(whole)
            else:
                self._pending += text
            if len(self._pending) > self._KEEP_AT_MOST:
                self._send(self._pending)
                self._pending = ""
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._send(self._pending)
                self._pending = ""

    def _send(self, text: str) -> None:
        try:
            self._pipe.send(memoryview(pickle.dumps((self.name, text), protocol=_PROTOCOL)))
        except Exception:  # the pipe is gone: the worker's own stream is better than nothing
            with contextlib.suppress(Exception):
                self._original.write(text)
                self._original.flush()


_TEXT_FORMATTER = logging.Formatter()


def _pickled_record(record: logging.LogRecord) -> memoryview:
    """The record's attributes, its message formatted and its traceback as text."""
    fields = dict(record.__dict__)
    fields["msg"], fields["args"] = record.getMessage(), None
    if record.exc_info:
        fields["exc_text"] = record.exc_text or _TEXT_FORMATTER.formatException(record.exc_info)
        fields["exc_info"] = None
    try:
        return memoryview(pickle.dumps(fields, protocol=_PROTOCOL))
    except Exception:  # an attribute given in `extra=` that cannot be pickled: its repr
        plain = {k: v if isinstance(v, _PLAIN) else repr(v) for k, v in fields.items()}
        return memoryview(pickle.dumps(plain, protocol=_PROTOCOL))


_PLAIN = (str, int, float, bool, type(None))


def _forward_logging(pipe: _LogPipe, levels: LogLevels) -> None:
    """Route every record of this worker to the main process (see the module docstring)."""
    named, disabled_below = levels
    loggers = [logging.root, *logging.root.manager.loggerDict.values()]
    for found in loggers:
        if isinstance(found, logging.Logger):
            found.handlers.clear()  # a forked worker's copies: the main process has them
            found.propagate = True  # the main process applies its own propagation
    for name, (level, disabled) in named.items():
        found = logging.getLogger(name or None)
        found.setLevel(level)
        found.disabled = disabled
    logging.disable(disabled_below)
    logging.root.addHandler(_LogForwarder(pipe))


def _forward_printing(pipe: _LogPipe) -> tuple[_Printed, ...]:
    """Send what this worker prints to the main process (see the module docstring)."""
    printed = []
    for name in ("stdout", "stderr"):
        original = getattr(sys, name)
        if original is not None:  # None: e.g. a worker of a windowed program
            printed.append(_Printed(name, pipe, original))
            setattr(sys, name, printed[-1])
    return tuple(printed)


# -- the worker ------------------------------------------------------------------------------


class _WorkerState:
    """What a worker process keeps from job to job (set up by `start_worker`)."""

    def __init__(self) -> None:
        self.link: _WorkerLink | None = None
        self.meter = PeakMeter()
        self.logs: _LogPipe | None = None
        self.printed: tuple[_Printed, ...] = ()
        self.stopped = ctypes.c_bool(False)  # the main process's flag (see `WorkerSetup`)


_WORKER = _WorkerState()


WORKERS_IGNORE: frozenset[signal.Signals] = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name)
)
"""The signals an idle worker ignores: when they stop the run, the main process interrupts
the worker's job (see `ProcessExecutor.interrupt`)."""

ORPHANED = 70
"""A worker's exit status when it ends because the main process ended."""


def _end_with_the_main_process(lifeline: tuple[Connection, Connection]) -> None:
    """Exit this worker as soon as the main process ends (see the module docstring)."""
    reader, writer = lifeline
    writer.close()  # this worker's copy: only the main process's must keep the pipe open

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            reader.recv_bytes()  # nothing is ever sent: this returns when the main process ends
        os._exit(ORPHANED)  # no clean-up: nobody is left to take this worker's results

    threading.Thread(target=watch, name="datamill-lifeline", daemon=True).start()


class WorkerSetup(NamedTuple):
    """What each worker of a pool gets from the main process when it starts.

    Attributes:
        chunks: The write end of the chunk pipe, shared by all workers.
        answers: The read ends of the answer pipes, one per slot.
        slots: The slots not yet claimed by a worker.
        logs: The write ends of the log pipes, one per slot.
        levels: The main process's logging levels.
        lifeline: Both ends of the pipe whose closing tells that the main process ended.
        stopped: Set by the main process when the run is interrupted: a job taken after
            that is not started.
    """

    chunks: Connection
    answers: list[Connection]
    slots: SimpleQueue[int]
    logs: list[Connection]
    levels: LogLevels
    lifeline: tuple[Connection, Connection]
    stopped: ctypes.c_bool


def start_worker(setup: WorkerSetup) -> None:
    """The pool's initializer: end with the main process, claim a slot for chunks and log
    records, open the memory meter, send log records and printed text to the main process."""
    _end_with_the_main_process(setup.lifeline)
    for number in WORKERS_IGNORE:  # Ctrl-C, a closed terminal: the main process stops the run
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked while this worker started
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKERS_IGNORE)
    _WORKER.stopped = setup.stopped
    slot = setup.slots.get()
    _WORKER.link = _WorkerLink(setup.chunks, setup.answers[slot], slot)
    _WORKER.meter = PeakMeter.open()
    _WORKER.logs = _LogPipe(setup.logs[slot], slot)
    _forward_logging(_WORKER.logs, setup.levels)
    _WORKER.printed = _forward_printing(_WORKER.logs)


def execute(payload: bytes) -> tuple[Any, ...]:
    """Run one node function in a worker process (module-level so that it can be pickled).

    Returns:
        The fields of an `Outcome` (a plain tuple crosses faster). A node without chunks
        returns its pickled result in it; the others send their chunks one by one through
        the chunk channel (see the module docstring) and return how many they sent.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops the node
    logs = _WORKER.logs
    assert logs is not None, "the pool's initializer sets logging up in every worker"
    try:
        outcome = _execute(payload, logs)
        for stream in _WORKER.printed:  # a last line without its newline is the job's too
            stream.flush()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: a late SIGINT must not escape
        logged = logs.end()
    return tuple(outcome._replace(logged=logged))


def _execute(payload: bytes, logs: _LogPipe) -> Outcome:
    func, mode, args, kwargs, node_name, retry, token = pickle.loads(payload)
    logs.begin(token)
    if _WORKER.stopped.value:  # the run was interrupted while this worker was idle
        return Outcome("error", 0, None, KeyboardInterrupt())
    attempts = Attempts(node_name, retry)
    meter = _WORKER.meter
    meter.reset()
    if not mode:
        return _call(attempts, meter, lambda: func(*args, **kwargs))
    chunks: Callable[[], Iterator[Any]]
    if isinstance(mode, tuple):  # partitionwise: each partition is retried on its own
        attempts.count = 1
        chunks = functools.partial(
            partition_chunks, func, args, kwargs, mode[1], node_name=node_name, retry=retry
        )
    else:
        chunks = functools.partial(attempts.call, lambda: started_chunks(func(*args, **kwargs)))
    return _stream(attempts, meter, chunks, token)


def _call(attempts: Attempts, meter: PeakMeter, call: Callable[[], Any]) -> Outcome:
    """Call the function (with retries); the outcome carries its pickled result."""
    try:
        result = attempts.call(call)
    except BaseException as exc:
        return _error(attempts, meter, exc)
    peak = meter.peak()
    try:
        data = pickle.dumps(result, protocol=_PROTOCOL)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        return Outcome("unpicklable-result", attempts.count, peak, reason, _text(exc))
    return Outcome("ok", attempts.count, peak, data)


def _stream(
    attempts: Attempts, meter: PeakMeter, chunks: Callable[[], Iterator[Any]], token: int
) -> Outcome:
    """Send each chunk as it comes, and wait for the main process's answer before the next."""
    link = _WORKER.link
    assert link is not None, "the pool's initializer links every worker"
    sent = 0
    try:
        for chunk in chunks():
            data = _pickled_chunk(chunk)
            del chunk  # hold one chunk at a time, and only while it is sent
            link.send(token, data)
            del data
            sent += 1
            if not link.keep_going():
                return Outcome("stopped", attempts.count, meter.peak(), chunks=sent)
    except _UnpicklableChunkError as exc:
        peak = meter.peak()
        reason, cause = str(exc), exc.__cause__ or exc
        return Outcome("unpicklable-result", attempts.count, peak, reason, _text(cause), sent)
    except BaseException as exc:
        return _error(attempts, meter, exc, sent)
    return Outcome("ok", attempts.count, meter.peak(), chunks=sent)


def _pickled_chunk(chunk: Any) -> memoryview:
    try:
        return memoryview(pickle.dumps(chunk, protocol=_PROTOCOL))
    except Exception as exc:
        raise _UnpicklableChunkError(f"{type(exc).__name__}: {exc}") from exc


def _error(attempts: Attempts, meter: PeakMeter, exc: BaseException, sent: int = 0) -> Outcome:
    return Outcome("error", attempts.count, meter.peak(), _portable(exc), _text(exc), sent)


def _text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
