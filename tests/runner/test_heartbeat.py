"""A recorded run notes in the journal that it goes on while its nodes take long."""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.hooks import create_hook_manager
from datamill.journal import Journal, RunStart
from datamill.runner import RunInfo, Tracking, create_executor, run_with
from datamill.runner import _heartbeat as heartbeat_module
from datamill.runner._heartbeat import Heartbeat
from datamill.runner._process import ProcessExecutor

GUARD = 30.0  # seconds: only a broken heartbeat waits this long


class Beats:
    """Counts `Journal.heartbeat` calls, made through the real method, and lets a test
    wait for the first few."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, wanted: int = 2) -> None:
        self.count = 0
        self.reached = threading.Event()
        self._wanted = wanted
        real = Journal.heartbeat

        def counted(journal: Journal, run_id: str) -> None:
            try:
                real(journal, run_id)
            finally:
                self.count += 1
                if self.count >= self._wanted:
                    self.reached.set()

        monkeypatch.setattr(Journal, "heartbeat", counted)


@pytest.fixture
def beats(monkeypatch: pytest.MonkeyPatch) -> Beats:
    """Heartbeats every millisecond, counted."""
    monkeypatch.setattr(heartbeat_module, "INTERVAL", 0.001)
    return Beats(monkeypatch)


def started_an_hour_ago(journal: Journal, run_id: str) -> datetime:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    journal.start_run(RunStart(run_id, "__default__", started=an_hour_ago))
    return an_hour_ago


def test_the_heartbeat_writes_until_its_context_ends(tmp_path: Path, beats: Beats) -> None:
    with Journal(tmp_path / "journal.db") as journal:
        an_hour_ago = started_an_hour_ago(journal, "r1")
        with Heartbeat(journal, "r1"):
            assert beats.reached.wait(GUARD)
        assert not any(t.name == "datamill-heartbeat" for t in threading.enumerate())
        count = beats.count
        assert journal.run("r1").last_seen > an_hour_ago
    assert beats.count == count  # nothing after the context ended


def test_a_heartbeat_that_fails_warns_and_goes_on(
    tmp_path: Path, beats: Beats, caplog: pytest.LogCaptureFixture
) -> None:
    with Journal(tmp_path / "journal.db") as journal:
        started_an_hour_ago(journal, "r1")
        journal.finish_run("r1", "succeeded")
        with caplog.at_level(logging.WARNING), Heartbeat(journal, "r1"):
            assert beats.reached.wait(GUARD)  # a second beat came after the failed first
    warnings = [r.getMessage() for r in caplog.records if r.name == heartbeat_module.__name__]
    assert warnings
    assert "Could not note in the journal that run r1 goes on" in warnings[0]
    assert "has already finished (succeeded)" in warnings[0]


def test_the_heartbeat_is_thirty_seconds_by_default(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.db") as journal:
        assert Heartbeat(journal, "r1")._interval == heartbeat_module.INTERVAL == 30.0


@pytest.mark.parametrize("executor", ["sequential", "thread"])
def test_a_run_beats_while_a_node_runs_and_stops_with_the_run(
    tmp_path: Path, beats: Beats, executor: str
) -> None:
    def until_beaten(x: int) -> int:
        assert beats.reached.wait(GUARD)
        return x + 1

    pipeline = Pipeline([node(until_beaten, "a", "b", name="long")])
    with Journal(tmp_path / "journal.db") as journal:
        outputs = run_with(
            pipeline,
            DataCatalog({"a": MemoryDataset(1)}),
            create_executor(executor, None),
            create_hook_manager([]),
            run_id="r1",
            tracking=Tracking(journal, RunInfo("chain"), incremental=False),
        )
        assert outputs == {"b": 2}
        assert not any(t.name == "datamill-heartbeat" for t in threading.enumerate())
        run = journal.run("r1")
        assert run.status == "succeeded"
        assert run.node("long").status == "ran"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method: Linux")
def test_a_forking_process_executor_forks_its_workers_when_it_starts() -> None:
    # The run's threads (the heartbeat, the log reader) start once the executor has
    # started: its workers must be forked by then.
    before = set(multiprocessing.active_children())
    executor = ProcessExecutor(2, start_method="fork")
    executor.start()
    try:
        assert len(set(multiprocessing.active_children()) - before) == 2
    finally:
        executor.close()
