"""Log records of the process executor's workers are handled by the main process."""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from datamill import DataCatalog, MemoryDataset, Node, Pipeline, hook_impl, node, run
from datamill.runner import ProcessExecutor
from datamill.runner._process import _LogChannel
from datamill.runner._process_worker import (
    FRAME,
    _LogPipe,
    _pickled_record,
    _Printed,
    send_frames,
)
from tests.resources import logging_funcs as f
from tests.resources.runner_funcs import ChunkList

START_METHODS = multiprocessing.get_all_start_methods()


class Collect(logging.Handler):
    """Keeps what it handles: ("log", message) events, and the records."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        super().__init__()
        self.events = events
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.events.append(("log", record.getMessage()))


class Finished:
    """A hook that adds ("done", node) events to the same list."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        self.events = events

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        self.events.append(("done", node.name))


@pytest.fixture
def events() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def handler(events: list[tuple[str, str]]) -> Iterator[Collect]:
    """Collects the records of the test logger (INFO and above) in the main process."""
    logger = logging.getLogger(f.LOGGER)
    quiet = logging.getLogger(f"{f.LOGGER}.quiet")
    saved = logger.level, quiet.level
    collect = Collect(events)
    logger.setLevel(logging.INFO)
    logger.addHandler(collect)
    try:
        yield collect
    finally:
        logger.removeHandler(collect)
        logger.setLevel(saved[0])
        quiet.setLevel(saved[1])


def run_one(
    func: object, method: str = "fork", *, hooks: list[object] | None = None, data: object = 1
) -> object:
    pipe = Pipeline([node(func, "a", "b", name="n")])  # type: ignore[arg-type]
    catalog = DataCatalog({"a": MemoryDataset(data)})
    executor = ProcessExecutor(1, start_method=method)
    return run(pipe, catalog, executor=executor, hooks=hooks or [])


@pytest.mark.parametrize("method", START_METHODS)
def test_a_workers_records_are_handled_by_the_main_process_at_its_levels(
    handler: Collect, method: str
) -> None:
    logging.getLogger(f"{f.LOGGER}.quiet").setLevel(logging.WARNING)

    assert run_one(f.chatty, method) == {"b": 2}

    [info, warning] = handler.records
    assert info.getMessage() == f"info from {info.process}"  # formatted in the worker
    assert info.process != os.getpid()
    assert info.processName != "MainProcess"
    assert (info.levelname, info.name, info.funcName) == ("INFO", f.LOGGER, "chatty")
    assert (warning.levelname, warning.getMessage()) == ("WARNING", "warning of 1")


def test_a_records_traceback_comes_as_text(handler: Collect) -> None:
    run_one(f.failing_log)

    [record] = handler.records
    text = logging.Formatter("%(levelname)s %(message)s").format(record)
    assert text.startswith("ERROR could not divide 1\nTraceback (most recent call last):")
    assert text.endswith("ZeroDivisionError: division by zero")


def test_an_attribute_that_cannot_be_pickled_comes_as_its_repr(handler: Collect) -> None:
    run_one(f.odd_extra)

    [record] = handler.records
    assert record.getMessage() == "with a lock"
    lock = record.__dict__["lock"]
    assert isinstance(lock, str)
    assert lock.startswith("<unlocked _thread.lock object")


def test_records_from_a_thread_of_the_node_come_too(handler: Collect) -> None:
    run_one(f.from_a_thread)

    assert [r.getMessage() for r in handler.records] == ["from a thread of the node"]


def test_a_nodes_records_are_handled_before_it_is_reported_done(
    handler: Collect, events: list[tuple[str, str]]
) -> None:
    pipe = Pipeline(
        [
            node(f.chatty, "a", "b", name="first"),
            node(f.logged_parts, "b", "parts", name="second"),
            node(f.failing_log, "b", "c", name="third"),
        ]
    )
    catalog = DataCatalog({"a": MemoryDataset(1), "parts": ChunkList()})

    run(pipe, catalog, executor=ProcessExecutor(2, start_method="fork"), hooks=[Finished(events)])

    first = events.index(("done", "first"))
    assert {event for event in events[:first] if event[0] == "log"} == {
        ("log", f"info from {handler.records[0].process}"),
        ("log", "warning of 1"),
        ("log", "info for the quiet logger"),
    }
    for name, messages in (("second", ["part 0", "part 1", "part 2"]), ("third", None)):
        done = events.index(("done", name))
        logged = [m for kind, m in events[first:done] if kind == "log"]
        if messages is not None:
            assert [m for m in logged if m.startswith("part")] == messages
        else:
            assert "could not divide 2" in logged


def test_a_forked_worker_does_not_also_write_through_the_handlers_it_inherited(
    handler: Collect, tmp_path: Path
) -> None:
    log_file = tmp_path / "run.log"
    written = logging.FileHandler(log_file, encoding="utf-8")
    logger = logging.getLogger(f.LOGGER)
    logger.addHandler(written)
    try:
        run_one(f.chatty, "fork")
    finally:
        logger.removeHandler(written)
        written.close()

    assert log_file.read_text(encoding="utf-8").splitlines() == [
        handler.records[0].getMessage(),
        "warning of 1",
        "info for the quiet logger",
    ]


def test_the_main_process_applies_its_propagation(handler: Collect) -> None:
    quiet = logging.getLogger(f"{f.LOGGER}.quiet")
    own: list[tuple[str, str]] = []
    quiet_handler = Collect(own)
    quiet.addHandler(quiet_handler)
    quiet.propagate = False
    try:
        run_one(f.chatty, "spawn")
    finally:
        quiet.removeHandler(quiet_handler)
        quiet.propagate = True

    assert own == [("log", "info for the quiet logger")]
    assert [r.name for r in handler.records] == [f.LOGGER, f.LOGGER]


def test_waiting_for_a_jobs_records_returns_once_they_were_handled(handler: Collect) -> None:
    channel = _LogChannel(multiprocessing.get_context("fork"), 1)
    [writer] = channel.writers
    logger = logging.getLogger(f.LOGGER)
    for number in range(50):
        record = logger.makeRecord(f.LOGGER, logging.INFO, "f.py", 1, "record %d", (number,), None)
        send_frames(writer, 0, 7, _pickled_record(record))
    channel.start()
    try:
        channel.wait_for(7, 50)

        assert [r.getMessage() for r in handler.records] == [f"record {n}" for n in range(50)]
    finally:
        channel.close()


def test_a_record_cut_short_by_a_dying_worker_blocks_neither_the_others_nor_the_end(
    handler: Collect,
) -> None:
    channel = _LogChannel(multiprocessing.get_context("fork"), 2)
    dying, alive = channel.writers
    logger = logging.getLogger(f.LOGGER)
    record = logger.makeRecord(f.LOGGER, logging.INFO, "f.py", 1, "whole", (), None)
    dying.send_bytes(FRAME.pack(0, 3, False) + b"the first frame of a long record")
    send_frames(alive, 1, 9, _pickled_record(record))
    channel.start()

    channel.wait_for(9, 1)
    channel.close()  # returns: the dying worker's pipe ends without the rest of its record

    assert [r.getMessage() for r in handler.records] == ["whole"]


def test_a_long_record_crosses_in_several_frames(handler: Collect) -> None:
    message = "x" * 100_000

    run_one(f.echo_message, "spawn", data=message)

    assert [r.getMessage() for r in handler.records] == [message]


def test_a_record_that_cannot_be_read_is_reported_and_reading_goes_on(
    handler: Collect, caplog: pytest.LogCaptureFixture
) -> None:
    channel = _LogChannel(multiprocessing.get_context("fork"), 1)
    [writer] = channel.writers
    logger = logging.getLogger(f.LOGGER)
    record = logger.makeRecord(f.LOGGER, logging.INFO, "f.py", 1, "after", (), None)
    send_frames(writer, 0, 4, memoryview(b"not a pickle"))
    send_frames(writer, 0, 4, _pickled_record(record))
    channel.start()

    with caplog.at_level(logging.WARNING, logger="datamill.runner"):
        channel.wait_for(4, 2)
        channel.close()

    assert [r.getMessage() for r in handler.records] == ["after"]
    assert "A message of a worker process could not be handled" in caplog.text


# -- printed text ------------------------------------------------------------------------------


class Stream:
    """A stand-in for ``sys.stdout`` or ``sys.stderr`` that adds (name, text) events."""

    def __init__(self, name: str, events: list[tuple[str, str]]) -> None:
        self.name = name
        self.events = events

    def write(self, text: str) -> int:
        self.events.append((self.name, text))
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("method", START_METHODS)
def test_what_a_worker_prints_is_written_by_the_main_process_in_order(
    handler: Collect,
    events: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    monkeypatch.setattr(sys, "stdout", Stream("stdout", events))
    monkeypatch.setattr(sys, "stderr", Stream("stderr", events))

    run_one(f.printing, method, hooks=[Finished(events)])

    assert events == [
        ("stdout", "out 1\n"),
        ("log", "logged between"),
        ("stderr", "err 1\n"),
        ("stdout", "out 2\n"),
        ("stdout", "out 3 tail"),  # a last line without a newline is sent at the job's end
        ("done", "n"),
    ]


def test_a_workers_stdout_keeps_its_descriptor_and_encoding() -> None:
    result = run_one(f.stream_facts, "spawn")

    assert isinstance(result, dict)
    kind, fd, encoding = result["b"]
    assert kind == "_Printed"
    assert fd >= 0
    assert encoding


class KeptPipe(_LogPipe):
    """A log pipe that keeps the messages instead of sending them."""

    def __init__(self) -> None:
        self.messages: list[object] = []

    def send(self, data: memoryview) -> None:
        self.messages.append(pickle.loads(data))


class BrokenPipe(_LogPipe):
    def __init__(self) -> None:
        pass

    def send(self, data: memoryview) -> None:
        raise BrokenPipeError("the main process is gone")


def test_printed_text_is_sent_a_line_at_a_time_and_on_flush() -> None:
    pipe = KeptPipe()
    stream = _Printed("stdout", pipe, io.StringIO())

    stream.write("a")
    stream.write("b\nc\nd")
    assert pipe.messages == [("stdout", "ab\nc\n")]
    stream.flush()
    stream.flush()
    assert pipe.messages == [("stdout", "ab\nc\n"), ("stdout", "d")]


def test_a_long_line_is_not_kept_back_whole() -> None:
    pipe = KeptPipe()
    stream = _Printed("stderr", pipe, io.StringIO())

    stream.write("x" * 70_000)

    assert pipe.messages == [("stderr", "x" * 70_000)]


def test_printed_text_goes_to_the_workers_own_stream_when_the_pipe_is_gone() -> None:
    original = io.StringIO()
    stream = _Printed("stdout", BrokenPipe(), original)

    print("still shown", file=stream)

    assert original.getvalue() == "still shown\n"


def test_printing_bytes_is_refused_as_by_a_text_stream() -> None:
    stream = _Printed("stdout", KeptPipe(), io.StringIO())

    with pytest.raises(TypeError, match="must be str, not bytes"):
        stream.write(b"raw")  # type: ignore[arg-type]
