"""What later runs ask the journal: last successes, committed partitions, and lineage."""

from __future__ import annotations

import dataclasses

from datamill.journal import DatasetRecord, Journal, NodeRecord
from tests.journal.conftest import at, ran, start


def test_last_success_is_the_latest_record_that_ran(journal: Journal) -> None:
    start(journal, "r1", second=0)
    first = ran("clean", second=10, code="c1")
    journal.record_node("r1", first)
    start(journal, "r2", second=100)
    second = ran("clean", second=110, code="c2", saves={"clean": None})
    journal.record_node("r2", second)
    start(journal, "r3", second=200)
    journal.record_node("r3", NodeRecord("clean", "skipped", reason="unchanged", attempts=0))
    journal.record_node("r3", NodeRecord("clean", "failed", ended=at(210), error="boom"))

    found = journal.last_success("clean")

    assert found == dataclasses.replace(second, run_id="r2")
    assert journal.last_success("features") is None


def test_last_success_orders_by_end_time_not_by_recording_order(journal: Journal) -> None:
    start(journal, "r1")
    journal.record_node("r1", ran("clean", second=50, code="late"))
    journal.record_node("r1", ran("clean", second=20, code="early"))

    found = journal.last_success("clean")

    assert found is not None
    assert found.code_fingerprint == "late"


def test_last_success_can_be_limited_to_one_pipeline(journal: Journal) -> None:
    start(journal, "etl-run", second=0, pipeline="etl")
    journal.record_node("etl-run", ran("clean", second=10, code="etl"))
    start(journal, "ml-run", second=100, pipeline="ml")
    journal.record_node("ml-run", ran("clean", second=110, code="ml"))

    etl = journal.last_success("clean", pipeline="etl")
    anywhere = journal.last_success("clean")

    assert (etl.code_fingerprint if etl else None) == "etl"
    assert (anywhere.code_fingerprint if anywhere else None) == "ml"
    assert journal.last_success("clean", pipeline="reporting") is None


def test_last_successes_answer_for_many_nodes_as_last_success_does(journal: Journal) -> None:
    start(journal, "etl-run", second=0, pipeline="etl")
    journal.record_nodes(
        "etl-run",
        [ran(f"n{i}", second=10, code="etl", saves={f"d{i}": "v1"}) for i in range(1200)],
    )
    start(journal, "ml-run", second=100, pipeline="ml")
    journal.record_nodes("ml-run", [ran(f"n{i}", second=110, code="ml") for i in range(0, 1200, 3)])
    journal.record_node("ml-run", NodeRecord("n1", "failed", ended=at(120), error="boom"))
    names = [f"n{i}" for i in range(1200)] + ["never-ran"]

    found = journal.last_successes(names)

    assert set(found) == set(names) - {"never-ran"}
    assert found == {name: journal.last_success(name) for name in found}
    assert found["n3"].code_fingerprint == "ml"
    assert found["n1"].code_fingerprint == "etl"
    assert found["n1"].saves == (DatasetRecord("d1", "save", "v1", "fp-d1-v1", True),)
    assert journal.last_successes([]) == {}


def test_committed_partitions_keep_the_latest_commit_of_each_partition(journal: Journal) -> None:
    start(journal, "crashed-run", second=0)
    for part in ("p1", "p2"):
        journal.record_partition("crashed-run", "score", "scores", part, key=f"k-{part}")
    start(journal, "resumed-run", second=100)
    journal.record_partition(
        "resumed-run", "score", "scores", "p2", key="k-p2-new", fingerprint="f"
    )
    journal.record_partition("resumed-run", "score", "scores", "p3", key="k-p3", committed=at(101))
    journal.record_partition("resumed-run", "other", "scores", "p9", key="k-p9")
    journal.record_partition("resumed-run", "score", "other_scores", "p8", key="k-p8")

    committed = journal.committed_partitions("score", "scores")

    assert list(committed) == ["p1", "p2", "p3"]
    assert [(c.run_id, c.key) for c in committed.values()] == [
        ("crashed-run", "k-p1"),
        ("resumed-run", "k-p2-new"),
        ("resumed-run", "k-p3"),
    ]
    assert (committed["p2"].fingerprint, committed["p3"].committed) == ("f", at(101))
    assert (committed["p3"].node_name, committed["p3"].dataset) == ("score", "scores")
    only_first = journal.committed_partitions("score", "scores", run_id="crashed-run")
    assert {p: c.key for p, c in only_first.items()} == {"p1": "k-p1", "p2": "k-p2"}
    assert journal.committed_partitions("score", "missing") == {}


def record_chain(journal: Journal) -> None:
    """raw -> clean -> model in run r1; clean and model again in r2 from a new raw version."""
    start(journal, "r1", second=0, pipeline="training")
    journal.record_node("r1", ran("ingest", second=1, saves={"raw": "v1"}))
    journal.record_node("r1", ran("clean", second=2, loads={"raw": "v1"}, saves={"clean": "v1"}))
    journal.record_node("r1", ran("fit", second=3, loads={"clean": "v1"}, saves={"model": "v1"}))
    start(journal, "r2", second=100, pipeline="training")
    journal.record_node("r2", ran("ingest", second=101, saves={"raw": "v2"}))
    journal.record_node("r2", ran("clean", second=102, loads={"raw": "v2"}, saves={"clean": "v2"}))


def test_the_producer_of_a_dataset_is_its_latest_save(journal: Journal) -> None:
    record_chain(journal)

    [latest] = journal.producers("clean")

    assert (latest.run_id, latest.pipeline, latest.node_name, latest.node_status) == (
        "r2",
        "training",
        "clean",
        "ran",
    )
    assert latest.output == DatasetRecord("clean", "save", "v2", "fp-clean-v2", persisted=True)
    assert latest.inputs == (DatasetRecord("raw", "load", "v2", "fp-raw-v2"),)
    assert latest.ended == at(102)


def test_lineage_is_walked_upward_version_by_version(journal: Journal) -> None:
    record_chain(journal)

    chain = []
    dataset, version = "model", "v1"
    while True:
        found = journal.producers(dataset, version)
        if not found:
            break
        chain.append((found[0].run_id, found[0].node_name, dataset, version))
        if not found[0].inputs:
            break
        dataset, version = found[0].inputs[0].name, found[0].inputs[0].version  # type: ignore[assignment]

    assert chain == [
        ("r1", "fit", "model", "v1"),
        ("r1", "clean", "clean", "v1"),
        ("r1", "ingest", "raw", "v1"),
    ]


def test_every_save_of_a_dataset_or_the_one_with_a_fingerprint(journal: Journal) -> None:
    record_chain(journal)

    everything = journal.producers("clean", limit=None)
    by_fingerprint = journal.producers("clean", fingerprint="fp-clean-v1")

    assert [(p.run_id, p.output.version) for p in everything] == [("r2", "v2"), ("r1", "v1")]
    assert [p.run_id for p in by_fingerprint] == ["r1"]
    assert journal.producers("clean", "v3") == []
    assert journal.producers("raw_typo") == []


def test_inputs_without_a_load_record_come_from_the_input_fingerprints(journal: Journal) -> None:
    start(journal, "r1")
    record = NodeRecord(
        "report",
        "ran",
        input_fingerprints={"metrics": "fp-m", "params:layout": "fp-p"},
        datasets=(
            DatasetRecord("metrics", "load", version="v7"),  # loaded, no fingerprint recorded
            DatasetRecord("report", "save", persisted=True),
        ),
    )
    journal.record_node("r1", record)

    [producer] = journal.producers("report")

    assert producer.inputs == (
        DatasetRecord("metrics", "load", "v7", "fp-m"),
        DatasetRecord("params:layout", "load", None, "fp-p"),
    )


def test_datasets_lists_every_name_loaded_or_saved_once(journal: Journal) -> None:
    assert journal.datasets() == []
    record_chain(journal)
    journal.record_node(
        "r2", NodeRecord("report", "failed", datasets=(DatasetRecord("metrics", "load"),))
    )

    assert journal.datasets() == ["clean", "metrics", "model", "raw"]
