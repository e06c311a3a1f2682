"""A run whose process died without finishing it reads as crashed, with its finished nodes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from datamill.errors import JournalError
from datamill.journal import Journal, RunStart
from tests.journal.conftest import at, start

pytestmark = pytest.mark.skipif(os.name == "nt", reason="needs SIGKILL and process probing")

CHILD = textwrap.dedent(
    """
    import sys
    from datamill.journal import Journal, NodeRecord, RunStart

    path, run_id = sys.argv[1], sys.argv[2]
    journal = Journal(path)
    journal.start_run(RunStart(run_id, "__default__", command=["datamill", "run"]))
    for name in ("load", "clean", "features"):
        journal.record_node(run_id, NodeRecord(name, "ran", reason="no previous run"))
    journal.record_partition(run_id, "train", "models", "part-0", key="k0")
    print("ready", flush=True)
    sys.stdin.readline()  # block until killed
    """
)


def test_a_killed_run_reads_as_crashed_with_the_nodes_it_finished(path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), "r-killed"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        with Journal(path) as journal:
            assert journal.run("r-killed").status == "running"  # its process is alive

        os.kill(child.pid, signal.SIGKILL)
        child.wait()  # reaped: the pid no longer exists
    assert child.returncode == -signal.SIGKILL

    with Journal(path) as journal:
        detail = journal.run("r-killed")
        assert detail.status == "crashed"
        assert detail.ended is None
        assert [n.node_name for n in detail.nodes] == ["load", "clean", "features"]
        assert list(journal.committed_partitions("train", "models")) == ["part-0"]
        assert [s.run_id for s in journal.runs(status="crashed")] == ["r-killed"]
        assert journal.runs(status="running") == []
        latest = journal.latest_run(status=("failed", "crashed"))
        assert latest is not None
        assert latest.run_id == "r-killed"


def test_a_run_of_this_live_process_reads_as_running(journal: Journal) -> None:
    start(journal, "r1")
    assert journal.run("r1").status == "running"
    assert [s.run_id for s in journal.runs(status="running")] == ["r1"]


def test_an_earlier_process_with_this_process_id_crashed(journal: Journal, path: Path) -> None:
    start(journal, "r1")
    with sqlite3.connect(path) as raw:  # as if a process with our pid recorded it, then died
        raw.execute("UPDATE runs SET process_token = 'an-earlier-process'")

    assert journal.run("r1").status == "crashed"


def test_a_run_of_another_host_crashes_only_after_the_staleness(path: Path) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    elsewhere = RunStart("r-remote", "__default__", started=two_hours_ago, host="w9.invalid", pid=1)
    with Journal(path) as journal:
        journal.start_run(elsewhere)
        assert journal.run("r-remote").status == "running"  # no staleness: cannot tell
    with Journal(path, stale_after=timedelta(hours=1)) as journal:
        assert journal.run("r-remote").status == "crashed"  # silent for 2 hours
    with Journal(path, stale_after=timedelta(days=365 * 1000)) as journal:
        assert journal.run("r-remote").status == "running"


def test_a_finished_run_is_never_crashed(journal: Journal) -> None:
    journal.start_run(RunStart("r1", "__default__", started=at(0), pid=2**22 + 3))
    journal.finish_run("r1", "succeeded")
    assert journal.run("r1").status == "succeeded"


def test_a_heartbeat_keeps_a_run_of_another_host_from_going_stale(path: Path) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    elsewhere = RunStart("r-remote", "__default__", started=two_hours_ago, host="w9.invalid", pid=1)
    with Journal(path, stale_after=timedelta(hours=1)) as journal:
        journal.start_run(elsewhere)
        assert journal.run("r-remote").status == "crashed"
        journal.heartbeat("r-remote")
        assert journal.run("r-remote").status == "running"
        assert journal.run("r-remote").last_seen > two_hours_ago


def test_a_heartbeat_of_a_finished_or_unknown_run_is_refused(journal: Journal) -> None:
    journal.start_run(RunStart("r1", "__default__", started=at(0)))
    journal.finish_run("r1", "succeeded")
    with pytest.raises(JournalError, match=r"'r1' has already finished \(succeeded\)"):
        journal.heartbeat("r1")
    with pytest.raises(JournalError, match="r2"):
        journal.heartbeat("r2")
