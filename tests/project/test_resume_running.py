"""A run still running is never resumed beside itself, nor beside a later run that redoes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from datamill.errors import JournalError
from datamill.journal import Journal, RunStart
from datamill.project import resumable_run
from tests.journal.conftest import start


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(path) as opened:
        yield opened


def failed(journal: Journal, run_id: str, second: float, pipeline: str = "chain") -> None:
    start(journal, run_id, second=second, pipeline=pipeline)
    journal.finish_run(run_id, "failed", "ValueError: boom")


def test_a_run_still_running_is_not_resumed(journal: Journal) -> None:
    start(journal, "r1", pipeline="chain")  # by this process, which is alive

    with pytest.raises(JournalError) as raised:
        resumable_run(journal, "r1")

    message = str(raised.value)
    pid = journal.run("r1").pid
    assert message.startswith(f"Run 'r1' of pipeline 'chain' is still running (process {pid}, ")
    assert "resuming now would run beside it. Wait for it to end, or stop it (Ctrl-C" in message
    assert message.endswith("); then: datamill run --resume r1")
    assert raised.value.run_id == "r1"


def test_a_failed_run_that_a_later_run_of_its_pipeline_redoes_is_not_resumed(
    journal: Journal,
) -> None:
    failed(journal, "r1", second=0)
    start(journal, "r2", second=10, pipeline="chain", resumes="r1")  # a resume, still going

    with pytest.raises(JournalError) as raised:
        resumable_run(journal)

    message = str(raised.value)
    assert message.startswith("Run 'r2' of pipeline 'chain' is still running")
    assert "It started after run 'r1' (failed), which 'datamill run --resume' would" in message
    assert message.endswith("To finish the earlier run anyway, name it: datamill run --resume r1")
    assert resumable_run(journal, "r1").run_id == "r1"  # named: the user knows


def test_runs_of_other_pipelines_and_earlier_runs_do_not_hold_a_resume_back(
    journal: Journal,
) -> None:
    start(journal, "r0", second=0, pipeline="chain")  # started before the failed run
    failed(journal, "r1", second=10)
    start(journal, "r2", second=20, pipeline="reports")

    assert resumable_run(journal).run_id == "r1"


def test_a_run_of_another_machine_is_resumed_once_it_reads_as_crashed(path: Path) -> None:
    silent = datetime.now(UTC) - timedelta(minutes=20)
    elsewhere = RunStart("r1", "chain", started=silent, host="container-4f2a.invalid", pid=7)
    with Journal(path) as journal:
        journal.start_run(elsewhere)
        with pytest.raises(JournalError) as raised:
            resumable_run(journal, "r1")
    message = str(raised.value)
    assert "is still running (process 7 on container-4f2a.invalid, started " in message
    assert "once it has been silent for the JOURNAL_STALE_AFTER setting" in message
    with Journal(path, stale_after=timedelta(minutes=10)) as journal:
        assert resumable_run(journal, "r1").status == "crashed"
        assert resumable_run(journal).run_id == "r1"
