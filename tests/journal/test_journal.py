"""Writing runs and nodes, and reading them back: round trips, history, run lookup, misuse."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from datamill.errors import DatamillError, JournalError
from datamill.journal import DatasetRecord, Journal, NodeRecord, RunStart, RunStatus
from tests.journal.conftest import T0, at, ran, start


def test_a_run_start_reads_back_field_for_field(journal: Journal) -> None:
    record = RunStart(
        "20261122T101500.123456Z-3fa2c1",
        "training",
        command=("datamill", "run", "--pipeline", "training", "--params", "model.alpha=0.5"),
        options={"pipeline": "training", "tags": ["fast"], "workers": 4, "from_nodes": None},
        env="prod",
        git_commit="9f2c1e4b7a0d",
        git_dirty=True,
        parameters={"model": {"alpha": 0.5, "layers": [64, 32]}, "seed": 42},
        executor="thread",
        started=datetime(2026, 11, 22, 11, 15, tzinfo=timezone(timedelta(hours=1))),
        pid=4242,
        host="builder-7",
    )
    journal.start_run(record)

    detail = journal.run(record.run_id)

    for name in ("run_id", "pipeline", "command", "options", "env", "git_commit", "git_dirty"):
        assert getattr(detail, name) == getattr(record, name), name
    for name in ("parameters", "executor", "started", "pid", "host"):
        assert getattr(detail, name) == getattr(record, name), name
    assert detail.started.tzinfo == UTC
    assert (detail.status, detail.ended, detail.error, detail.nodes) == ("running", None, None, ())
    [summary] = journal.runs()
    assert (summary.git_commit, summary.git_dirty) == ("9f2c1e4b7a0d", True)


def test_every_field_of_a_node_record_reads_back(journal: Journal) -> None:
    start(journal, "r1")
    record = NodeRecord(
        "training.fit_model",
        "ran",
        reason="code changed: fit() in nodes.py",
        started=at(1),
        ended=at(3.5),
        duration=2.4987,
        peak_memory=123_456_789,
        attempts=2,
        code_fingerprint="code-digest",
        code_components={"myproj.nodes.fit": "d1", "myproj.utils.scale": "d2"},
        params_fingerprint="params-digest",
        params_components={"model.alpha": "p1"},
        input_fingerprints={"features": "f1", "params:model": None},
        datasets=(
            DatasetRecord("features", "load", "2026-11-22T10.15.00.000000Z-0000-aaaaaa", "f1"),
            DatasetRecord("model", "save", "2026-11-22T10.15.03.000000Z-0000-bbbbbb", "m1", True),
            DatasetRecord("scores", "save", None, None, False),
        ),
    )
    journal.record_node("r1", record)

    assert journal.nodes("r1") == [dataclasses.replace(record, run_id="r1")]


def test_a_failed_node_keeps_its_error_and_a_failed_run_its_message(journal: Journal) -> None:
    start(journal, "r1")
    journal.record_node("r1", NodeRecord("split", "failed", attempts=3, error="ValueError: x"))
    journal.record_node("r1", NodeRecord("fit", "not_reached", attempts=0))
    journal.finish_run("r1", "failed", "Node 'split' failed: ValueError: x", ended=at(9))

    detail = journal.run("r1")

    assert (detail.status, detail.error, detail.ended, detail.duration) == (
        "failed",
        "Node 'split' failed: ValueError: x",
        at(9),
        9.0,
    )
    assert [(n.node_name, n.status, n.attempts, n.error) for n in detail.nodes] == [
        ("split", "failed", 3, "ValueError: x"),
        ("fit", "not_reached", 0, None),
    ]
    assert detail.node("split").error == "ValueError: x"


def test_unserialisable_parameters_and_options_are_stored_as_their_repr(journal: Journal) -> None:
    start(journal, "r1", parameters={"cutoff": T0, "ids": {3}}, options={"runner": object})

    detail = journal.run("r1")

    assert detail.parameters == {"cutoff": repr(T0), "ids": "{3}"}
    assert detail.options == {"runner": repr(object)}


def test_runs_lists_the_newest_first_with_counts_and_durations(journal: Journal) -> None:
    start(journal, "a", second=0)
    for record in (ran("n1"), ran("n2"), NodeRecord("n3", "skipped", attempts=0)):
        journal.record_node("a", record)
    journal.finish_run("a", "succeeded", ended=at(30))
    start(journal, "b", second=60, pipeline="training")
    journal.record_node("b", NodeRecord("n1", "failed", error="boom"))
    journal.record_node("b", NodeRecord("n2", "not_reached", attempts=0))
    journal.finish_run("b", "failed", "boom", ended=at(61))
    start(journal, "c", second=120)

    summaries = journal.runs()

    assert [(s.run_id, s.status, s.duration) for s in summaries] == [
        ("c", "running", None),
        ("b", "failed", 1.0),
        ("a", "succeeded", 30.0),
    ]
    counts = [
        (s.nodes_ran, s.nodes_skipped, s.nodes_failed, s.nodes_not_reached) for s in summaries
    ]
    assert counts == [(0, 0, 0, 0), (0, 0, 1, 1), (2, 1, 0, 0)]


def test_runs_filters_by_status_and_pipeline_and_stops_at_the_limit(journal: Journal) -> None:
    for number, (pipeline, status) in enumerate(
        [("etl", "succeeded"), ("ml", "failed"), ("etl", "failed"), ("etl", "succeeded")]
    ):
        start(journal, f"r{number}", second=number, pipeline=pipeline)
        journal.finish_run(f"r{number}", status)  # type: ignore[arg-type]

    def ids(**filters: object) -> list[str]:
        return [s.run_id for s in journal.runs(**filters)]  # type: ignore[arg-type]

    assert ids() == ["r3", "r2", "r1", "r0"]
    assert ids(limit=2) == ["r3", "r2"]
    assert ids(limit=None) == ["r3", "r2", "r1", "r0"]
    assert ids(status="failed") == ["r2", "r1"]
    assert ids(pipeline="etl") == ["r3", "r2", "r0"]
    assert ids(status="succeeded", pipeline="etl", limit=1) == ["r3"]
    assert ids(status=("failed", "crashed"), pipeline="ml") == ["r1"]
    assert ids(status="interrupted") == []


def test_an_unknown_status_filter_is_refused_with_the_closest_status(journal: Journal) -> None:
    with pytest.raises(ValueError, match="Did you mean 'failed'"):
        journal.runs(status="faild")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        journal.runs(limit=-1)


def test_latest_run_is_the_most_recently_started_matching_run(journal: Journal) -> None:
    assert journal.latest_run() is None
    start(journal, "a", second=0, pipeline="etl")
    journal.finish_run("a", "failed")
    start(journal, "b", second=10, pipeline="ml")
    journal.finish_run("b", "succeeded")

    latest = journal.latest_run()
    assert latest is not None
    assert latest.run_id == "b"
    failed = journal.latest_run(status="failed")
    assert failed is not None
    assert failed.run_id == "a"
    assert journal.latest_run(status="failed", pipeline="ml") is None


def test_a_run_reads_without_its_node_records_on_request(journal: Journal) -> None:
    start(journal, "a", pipeline="etl")
    journal.record_nodes("a", [ran("extract", saves={"raw": "v1"}), ran("load", second=2)])
    journal.finish_run("a", "failed", error="ValueError: bad row")

    whole = journal.run("a")
    header = journal.run("a", nodes=False)
    latest = journal.latest_run(status="failed", nodes=False)

    assert [n.node_name for n in whole.nodes] == ["extract", "load"]
    assert header.nodes == ()
    assert header == dataclasses.replace(whole, nodes=())  # the rest is all there
    assert (header.nodes_ran, header.error) == (2, "ValueError: bad row")
    assert latest == header


def test_node_statuses_reads_only_the_statuses_of_a_runs_nodes(journal: Journal) -> None:
    start(journal, "run-a")
    records = [
        ran("extract"),
        NodeRecord("clean", "skipped", reason="unchanged", attempts=0),
        NodeRecord("train", "failed", reason="code changed", error="ValueError: x"),
        NodeRecord("report", "not_reached", reason="not reached", attempts=0),
    ]
    journal.record_nodes("run-a", records)
    journal.finish_run("run-a", "failed")

    statuses = journal.node_statuses("run-a")

    assert list(statuses.items()) == [
        ("extract", "ran"),
        ("clean", "skipped"),
        ("train", "failed"),
        ("report", "not_reached"),
    ]
    assert statuses == {n.node_name: n.status for n in journal.nodes("run-a")}
    assert journal.node_statuses("-a") == statuses  # a unique suffix names the run too
    with pytest.raises(JournalError, match="run-a"):
        journal.node_statuses("run-b")


def test_a_run_finished_by_a_successful_resume_is_skipped_on_request(journal: Journal) -> None:
    start(journal, "a", second=0)
    journal.finish_run("a", "failed")
    start(journal, "b", second=10, resumes="a")
    journal.finish_run("b", "failed")  # a failed resume finishes nothing
    assert journal.run("b").resumes == "a"
    failed: tuple[RunStatus, ...] = ("failed", "interrupted", "crashed")

    assert [r.run_id for r in journal.runs(status=failed)] == ["b", "a"]
    start(journal, "c", second=20, resumes="b")
    journal.finish_run("c", "succeeded")

    latest = journal.latest_run(status=failed, skip_resumed=True)
    assert latest is not None
    assert latest.run_id == "a"  # b was finished by c; a still is not finished
    found = journal.latest_run(status=failed)
    assert found is not None
    assert found.run_id == "b"
    assert [r.resumes for r in journal.runs()] == ["b", "a", None]


def test_a_run_knows_the_runs_that_resume_it_and_the_partitions_it_committed(
    journal: Journal,
) -> None:
    start(journal, "a", second=0)
    for part in ("p1", "p2", "p3"):
        journal.record_partition("a", "score", "scores", part, key=f"k-{part}")
    journal.record_partition("a", "enrich", "enriched", "p1", key="k")
    journal.finish_run("a", "failed")
    start(journal, "b", second=10, resumes="a")
    journal.finish_run("b", "interrupted")
    start(journal, "c", second=20, resumes="a")
    journal.finish_run("c", "succeeded")

    detail = journal.run("a")

    assert dict(detail.resumed_by) == {"b": "interrupted", "c": "succeeded"}
    assert list(detail.resumed_by) == ["b", "c"]  # oldest first
    assert [(p.node_name, p.dataset, p.count) for p in detail.partitions] == [
        ("score", "scores", 3),
        ("enrich", "enriched", 1),
    ]
    assert journal.run("c").resumed_by == {}
    assert journal.run("c").partitions == ()


def test_the_resume_chain_is_read_through_resumes_of_resumes(journal: Journal) -> None:
    start(journal, "a", second=0)
    start(journal, "b", second=10, resumes="a")
    start(journal, "c", second=20, resumes="b")
    start(journal, "d", second=30)

    assert journal.resumed_runs("c") == ["b", "a"]
    assert journal.resumed_runs("b") == ["a"]
    assert journal.resumed_runs("d") == []
    assert journal.resumed_runs("unknown") == []


def test_a_run_is_found_by_id_unique_prefix_or_latest(journal: Journal) -> None:
    start(journal, "20261122T101500.000001Z-aaaaaa", second=0)
    start(journal, "20261122T101500.000001Z-abbbbb", second=1)
    start(journal, "20261123T090000.000000Z-cccccc", second=2)

    assert journal.run("20261122T101500.000001Z-aaaaaa").run_id.endswith("aaaaaa")
    assert journal.run("20261123").run_id.endswith("cccccc")
    assert journal.run("20261122T101500.000001Z-ab").run_id.endswith("abbbbb")
    assert journal.run("latest").run_id.endswith("cccccc")
    assert journal.nodes("latest") == []


def test_a_run_is_found_by_a_unique_suffix_of_its_id(journal: Journal) -> None:
    start(journal, "20261122T101500.000001Z-aaaaaa", second=0)
    start(journal, "20261122T101500.000002Z-abbbbb", second=1)
    start(journal, "20261123T090000.000000Z-cccbbb", second=2)

    assert journal.run("aaaaaa").run_id == "20261122T101500.000001Z-aaaaaa"
    assert journal.run("-abbbbb").run_id == "20261122T101500.000002Z-abbbbb"
    assert journal.run("cbbb").run_id == "20261123T090000.000000Z-cccbbb"
    assert journal.run("20261123").run_id.endswith("cccbbb")
    with pytest.raises(JournalError, match="Run id suffix 'bbb' matches several runs") as caught:
        journal.run("bbb")
    assert "abbbbb" in str(caught.value)
    assert "cccbbb" in str(caught.value)
    for wildcard in ("%", "_aaaaa", "a%"):  # LIKE's wildcards are matched as themselves
        with pytest.raises(JournalError, match="is not in the journal"):
            journal.run(wildcard)


def test_an_ambiguous_prefix_lists_the_runs_it_matches(journal: Journal) -> None:
    start(journal, "20261122T101500.000001Z-aaaaaa", second=0)
    start(journal, "20261122T101500.000001Z-abbbbb", second=1)

    with pytest.raises(JournalError, match="matches several runs") as caught:
        journal.run("20261122T1015")

    assert "aaaaaa" in str(caught.value)
    assert "abbbbb" in str(caught.value)
    assert caught.value.run_id == "20261122T1015"


def test_an_unknown_run_suggests_the_closest_recorded_id(journal: Journal, path: Path) -> None:
    start(journal, "20261122T101500.000001Z-3fa2c1")

    with pytest.raises(JournalError, match=r"Did you mean '20261122T101500\.000001Z-3fa2c1'") as e:
        journal.run("20261122T101500.000001Z-3fa2c2")

    assert str(path) in str(e.value)
    assert isinstance(e.value, DatamillError)
    assert e.value.path == str(path)


def test_latest_in_an_empty_journal_says_there_is_no_run_yet(journal: Journal) -> None:
    with pytest.raises(JournalError, match="records no run yet"):
        journal.run("latest")


def test_a_run_id_can_be_recorded_once(journal: Journal) -> None:
    start(journal, "r1")
    with pytest.raises(JournalError, match="'r1' is already in the journal"):
        start(journal, "r1")


def test_recording_for_an_unknown_run_names_the_closest_run(journal: Journal) -> None:
    start(journal, "train-2026")
    with pytest.raises(JournalError, match=r"'train-2025' is not in the journal.*'train-2026'"):
        journal.record_node("train-2025", ran("n1"))
    with pytest.raises(JournalError, match="'train-2025' is not in the journal"):
        journal.record_partition("train-2025", "n1", "parts", "p1", key="k")
    with pytest.raises(JournalError, match="'train-2025' is not in the journal"):
        journal.finish_run("train-2025", "succeeded")


def test_a_finished_run_accepts_no_more_records(journal: Journal) -> None:
    start(journal, "r1")
    journal.finish_run("r1", "interrupted")

    with pytest.raises(JournalError, match=r"'r1' has already finished \(interrupted\)"):
        journal.record_node("r1", ran("n1"))
    with pytest.raises(JournalError, match="already finished"):
        journal.finish_run("r1", "succeeded")
    assert journal.run("r1").status == "interrupted"


def test_finish_run_takes_final_statuses_only(journal: Journal) -> None:
    start(journal, "r1")
    with pytest.raises(ValueError, match="'crashed' is not one of"):
        journal.finish_run("r1", "crashed")  # type: ignore[arg-type]


def test_a_record_of_another_run_is_refused(journal: Journal) -> None:
    start(journal, "r1")
    with pytest.raises(ValueError, match="belongs to run 'r0'"):
        journal.record_node("r1", NodeRecord("n1", "ran", run_id="r0"))


def test_a_node_record_commits_whole_or_not_at_all(journal: Journal, path: Path) -> None:
    start(journal, "r1")
    bad = DatasetRecord("model", "save")
    object.__setattr__(bad, "role", "delete")  # slip past the record's own check
    record = NodeRecord("fit", "ran", datasets=(DatasetRecord("features", "load"), bad))

    with pytest.raises(JournalError, match="CHECK constraint failed"):
        journal.record_node("r1", record)

    assert journal.nodes("r1") == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM datasets").fetchone() == (0,)
    journal.record_node("r1", ran("fit"))  # the journal is still usable
    assert [n.node_name for n in journal.nodes("r1")] == ["fit"]


def test_a_batch_of_node_records_is_written_in_order(journal: Journal) -> None:
    start(journal, "r1")
    batch = [ran("a", saves={"x": None}), NodeRecord("b", "skipped", attempts=0), ran("c")]

    journal.record_nodes("r1", iter(batch))
    journal.record_nodes("r1", [])

    assert journal.nodes("r1") == [dataclasses.replace(r, run_id="r1") for r in batch]


def test_a_batch_commits_whole_or_not_at_all(journal: Journal) -> None:
    start(journal, "r1")
    bad = DatasetRecord("model", "save")
    object.__setattr__(bad, "role", "delete")
    batch = [ran("a", saves={"x": None}), NodeRecord("b", "ran", datasets=(bad,))]

    with pytest.raises(JournalError, match="CHECK constraint failed"):
        journal.record_nodes("r1", batch)
    with pytest.raises(ValueError, match="belongs to run 'r0'"):
        journal.record_nodes("r1", [ran("a"), NodeRecord("b", "ran", run_id="r0")])

    assert journal.nodes("r1") == []


def test_threads_share_one_journal(journal: Journal) -> None:
    start(journal, "r1")

    def record(thread: int) -> None:
        for number in range(50):
            journal.record_node(
                "r1", ran(f"t{thread}.n{number}", saves={f"d{thread}_{number}": None})
            )

    threads = [threading.Thread(target=record, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    nodes = journal.nodes("r1")
    assert len(nodes) == 400
    assert {n.node_name for n in nodes} == {f"t{t}.n{n}" for t in range(8) for n in range(50)}
    assert all(len(n.saves) == 1 for n in nodes)


def test_a_closed_journal_says_so(path: Path) -> None:
    journal = Journal.open(path)
    journal.close()
    journal.close()  # closing twice is harmless

    with pytest.raises(JournalError, match="is closed"):
        journal.runs()
    assert repr(journal) == f"Journal({str(path)!r}, closed)"


def test_a_journal_is_read_back_after_reopening(path: Path) -> None:
    with Journal(path) as journal:
        start(journal, "r1")
        journal.record_node("r1", ran("n1"))
        journal.finish_run("r1", "succeeded")

    with Journal(path) as reopened:
        detail = reopened.run("r1")
    assert (detail.status, [n.node_name for n in detail.nodes]) == ("succeeded", ["n1"])


def test_a_file_hash_is_found_only_with_the_stamp_it_was_kept_with(journal: Journal) -> None:
    url = "file:///data/model.pkl"
    assert journal.file_hash(url, "10:1.5:7") is None
    journal.remember_file_hash(url, "10:1.5:7", "d1")
    journal.remember_file_hash(url, "12:2.5:7", "d2")  # the file changed: the hash is replaced

    assert journal.file_hash(url, "12:2.5:7") == "d2"
    assert journal.file_hash(url, "10:1.5:7") is None
    assert journal.file_hash("file:///data/other.pkl", "12:2.5:7") is None
