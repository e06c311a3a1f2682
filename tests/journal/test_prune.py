"""Pruning: old runs go, what later runs rely on stays."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from datamill.errors import JournalError
from datamill.journal import Journal, NodeRecord
from tests.journal.conftest import at, ran, start


def finished_run(
    journal: Journal,
    run_id: str,
    second: float,
    nodes: dict[str, str],
    *,
    pipeline: str = "__default__",
) -> None:
    """A succeeded run whose nodes ran or were skipped (``{"name": "ran" | "skipped"}``)."""
    start(journal, run_id, second=second, pipeline=pipeline)
    records = [
        ran(name, second=second + 1, code=f"code-{run_id}", saves={f"{name}_out": run_id})
        if status == "ran"
        else NodeRecord(name, "skipped", reason="unchanged")
        for name, status in nodes.items()
    ]
    journal.record_nodes(run_id, records)
    journal.finish_run(run_id, "succeeded", ended=at(second + 2))


def run_ids(journal: Journal) -> list[str]:
    return sorted(run.run_id for run in journal.runs(limit=None))


def test_runs_nothing_relies_on_go_with_their_nodes_datasets_and_code(
    journal: Journal, path: Path
) -> None:
    # r1 ran a and b; r2 ran a again; r3 ran b again and skipped a: r1 holds nothing
    # later runs need, r2 holds a's last success, r3 b's (and is the newest).
    finished_run(journal, "r1", 0, {"a": "ran", "b": "ran"})
    finished_run(journal, "r2", 10, {"a": "ran", "b": "skipped"})
    finished_run(journal, "r3", 20, {"a": "skipped", "b": "ran"})

    report = journal.prune(keep=0)

    assert report.runs == ("r1",)
    assert report.kept == ("r2", "r3")
    assert report.nodes == 2
    assert not report.dry_run
    assert run_ids(journal) == ["r2", "r3"]
    assert journal.last_success("a") is not None
    assert journal.last_success("b") is not None
    with pytest.raises(JournalError, match="r1"):
        journal.run("r1")
    assert journal.producers("a_out", version="r1") == []
    assert [p.run_id for p in journal.producers("a_out", version="r2")] == ["r2"]
    with sqlite3.connect(path) as connection:
        codes = {row[0] for row in connection.execute("SELECT fingerprint FROM code")}
        orphans = connection.execute(
            "SELECT count(*) FROM datasets WHERE node_id NOT IN (SELECT id FROM nodes)"
        ).fetchone()[0]
    assert codes == {"code-r2", "code-r3"}
    assert orphans == 0


def test_a_dry_run_reports_and_removes_nothing(journal: Journal) -> None:
    finished_run(journal, "r1", 0, {"a": "ran"})
    finished_run(journal, "r2", 10, {"a": "ran"})

    report = journal.prune(keep=0, dry_run=True)

    assert (report.runs, report.kept, report.nodes, report.dry_run) == (("r1",), ("r2",), 1, True)
    assert run_ids(journal) == ["r1", "r2"]


def test_keep_and_before_select_together(journal: Journal) -> None:
    for i in range(6):
        finished_run(journal, f"r{i}", i * 10, {"a": "ran"})

    assert journal.prune(keep=2, dry_run=True).runs == ("r0", "r1", "r2", "r3")
    assert journal.prune(before=at(25), dry_run=True).runs == ("r0", "r1", "r2")
    assert journal.prune(keep=4, before=at(25), dry_run=True).runs == ("r0", "r1")
    assert journal.prune(keep=10).runs == ()
    assert len(run_ids(journal)) == 6


def test_running_runs_and_the_newest_run_of_each_pipeline_stay(
    journal: Journal, path: Path
) -> None:
    start(journal, "running", second=0)  # by this very process, which is alive
    start(journal, "crashed", second=1)
    journal.record_node("crashed", NodeRecord("a", "failed", reason="boom"))
    with sqlite3.connect(path) as raw:  # recorded by an earlier process with this pid
        raw.execute("UPDATE runs SET process_token = 'dead' WHERE run_id = 'crashed'")
    finished_run(journal, "old-other", 5, {"x": "skipped"}, pipeline="other")
    finished_run(journal, "old", 10, {"a": "skipped"})
    finished_run(journal, "new", 20, {"a": "skipped"})

    report = journal.prune(keep=0)

    assert report.runs == ("crashed", "old")
    assert report.nodes == 2
    assert report.kept == ("running", "old-other", "new")
    assert run_ids(journal) == ["new", "old-other", "running"]


def test_the_latest_commit_of_a_partition_stays(journal: Journal) -> None:
    start(journal, "first", second=0)
    journal.record_partition("first", "score", "scores", "p1", key="k1")
    journal.record_partition("first", "score", "scores", "p2", key="k2")
    journal.finish_run("first", "failed", error="killed", ended=at(1))
    start(journal, "second", second=10)
    journal.record_partition("second", "score", "scores", "p1", key="k1-new")
    journal.finish_run("second", "failed", error="killed", ended=at(11))
    start(journal, "third", second=20)
    journal.record_partition("third", "score", "scores", "p1", key="k1-newest")
    journal.record_partition("third", "score", "scores", "p2", key="k2-new")
    journal.finish_run("third", "failed", error="killed", ended=at(21))

    # first: both partitions committed again later; second: p1 committed again by third.
    report = journal.prune(keep=0)

    assert report.runs == ("first", "second")
    committed = journal.committed_partitions("score", "scores")
    assert {p: c.key for p, c in committed.items()} == {"p1": "k1-newest", "p2": "k2-new"}


def test_a_partition_committed_only_by_an_old_run_keeps_that_run(journal: Journal) -> None:
    start(journal, "crashed-long-ago", second=0)
    journal.record_partition("crashed-long-ago", "score", "scores", "p1", key="k1")
    journal.finish_run("crashed-long-ago", "failed", error="killed", ended=at(1))
    finished_run(journal, "later", 10, {"other": "ran"})

    assert journal.prune(keep=0).kept == ("crashed-long-ago", "later")
    assert list(journal.committed_partitions("score", "scores")) == ["p1"]


def test_vacuum_shrinks_the_file(journal: Journal, path: Path) -> None:
    nodes = {f"n{i}": "ran" for i in range(300)}
    for i in range(4):
        finished_run(journal, f"r{i}", i * 10, nodes)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.stat().st_size

    report = journal.prune(keep=0, vacuum=True)

    assert report.runs == ("r0", "r1", "r2")
    assert path.stat().st_size < before / 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Give keep= or before="),
        ({"keep": -1}, "keep must be 0 or more"),
        ({"before": at(0).replace(tzinfo=None)}, "timezone-aware"),
    ],
)
def test_a_prune_without_a_clear_selection_is_refused(
    journal: Journal, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        journal.prune(**kwargs)  # type: ignore[arg-type]
