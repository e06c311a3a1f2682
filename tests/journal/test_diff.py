"""Comparing two runs: parameters, code, inputs, saved datasets and statuses."""

from __future__ import annotations

from datamill.journal import Change, DatasetRecord, Journal, NodeRecord
from datamill.journal._diff import flatten
from tests.journal.conftest import ran, start


def test_parameters_are_compared_leaf_by_leaf_under_dotted_keys(journal: Journal) -> None:
    start(journal, "a", second=0, parameters={"model": {"alpha": 0.1, "layers": [8]}, "seed": 1})
    start(
        journal,
        "b",
        second=10,
        parameters={"model": {"alpha": 0.2, "layers": [8], "beta": 3}, "split": {"test": 0.2}},
    )

    diff = journal.diff("a", "b")

    assert diff.params_added == {"model.beta": 3, "split.test": 0.2}
    assert diff.params_removed == {"seed": 1}
    assert diff.params_changed == {"model.alpha": Change(0.1, 0.2)}


def test_nodes_whose_code_changed_name_the_components_that_differ(journal: Journal) -> None:
    start(journal, "a", second=0)
    start(journal, "b", second=10)
    before = {"nodes.clean": "1", "utils.strip": "1", "utils.gone": "1"}
    after = {"nodes.clean": "1", "utils.strip": "2", "utils.new": "1"}
    journal.record_node("a", ran("clean", code="x", code_components=before))
    journal.record_node("b", ran("clean", code="y", code_components=after))
    journal.record_node("a", ran("fit", code="same", code_components={"nodes.fit": "1"}))
    journal.record_node("b", NodeRecord("fit", "skipped", code_fingerprint="same", attempts=0))

    diff = journal.diff("a", "b")

    assert diff.code_changed == {"clean": ("utils.strip", "utils.gone", "utils.new")}


def test_nodes_whose_inputs_changed_name_those_inputs(journal: Journal) -> None:
    start(journal, "a", second=0)
    start(journal, "b", second=10)
    journal.record_node("a", ran("fit", loads={"features": "v1", "labels": "v1", "old": "v1"}))
    journal.record_node("b", ran("fit", loads={"features": "v2", "labels": "v1", "new": "v1"}))

    diff = journal.diff("a", "b")

    assert diff.inputs_changed == {"fit": ("features", "old", "new")}


def test_nodes_whose_catalog_entries_changed_name_the_dataset_and_part(journal: Journal) -> None:
    start(journal, "a", second=0)
    start(journal, "b", second=10)
    before = {"features": {"type": "t", "load_args": "1"}, "gone": {"type": "t"}}
    after = {"features": {"type": "t", "load_args": "2", "versioned": "1"}, "new": {"type": "u"}}
    journal.record_node("a", ran("fit", catalog=before))
    journal.record_node("b", ran("fit", catalog=after))
    journal.record_node("a", ran("older", catalog={}))  # recorded before entries were kept
    journal.record_node("b", ran("older", catalog={"x": {"type": "t"}}))

    diff = journal.diff("a", "b")

    assert diff.catalog_changed == {"fit": ("features: load_args", "features: versioned")}
    assert journal.run("b").node("fit").catalog == after


def test_saved_datasets_that_differ_show_both_saves(journal: Journal) -> None:
    start(journal, "a", second=0)
    start(journal, "b", second=10)
    journal.record_node("a", ran("n1", saves={"model": "v1", "metrics": None, "only_a": None}))
    journal.record_node("b", ran("n1", saves={"model": "v2", "metrics": None}))

    diff = journal.diff("a", "b")

    assert diff.datasets_changed == {
        "model": Change(
            DatasetRecord("model", "save", "v1", "fp-model-v1", True),
            DatasetRecord("model", "save", "v2", "fp-model-v2", True),
        ),
        "only_a": Change(DatasetRecord("only_a", "save", None, "fp-only_a-None", True), None),
    }


def test_a_dataset_the_other_run_read_unchanged_is_no_difference(journal: Journal) -> None:
    start(journal, "a", second=0)
    journal.record_node("a", ran("ingest", saves={"companies": "v1"}))
    journal.record_node("a", ran("clean", loads={"companies": "v1"}, saves={"clean": None}))
    start(journal, "b", second=10)
    journal.record_node("b", NodeRecord("ingest", "skipped", attempts=0))
    journal.record_node("b", ran("clean", loads={"companies": "v1"}, saves={"clean": None}))

    diff = journal.diff("a", "b")

    assert diff.datasets_changed == {}


def test_a_dataset_read_with_another_fingerprint_shows_what_was_read(journal: Journal) -> None:
    start(journal, "a", second=0)
    journal.record_node("a", ran("ingest", saves={"companies": "v1"}))
    start(journal, "b", second=10)
    journal.record_node("b", NodeRecord("ingest", "skipped", attempts=0))
    skipped_reader = NodeRecord(
        "clean", "skipped", attempts=0, input_fingerprints={"companies": "fp-edited"}
    )
    journal.record_node("b", skipped_reader)

    diff = journal.diff("a", "b")

    assert diff.datasets_changed == {
        "companies": Change(
            DatasetRecord("companies", "save", "v1", "fp-companies-v1", True),
            DatasetRecord("companies", "load", None, "fp-edited"),
        )
    }


def test_a_new_version_with_the_same_content_is_a_difference(journal: Journal) -> None:
    start(journal, "a", second=0)
    journal.record_node("a", ran("fit", saves={"model": "v1"}))
    start(journal, "b", second=10)
    same = DatasetRecord("model", "save", "v2", "fp-model-v1", True)
    journal.record_node("b", ran("fit", datasets=(same,)))

    diff = journal.diff("a", "b")

    assert diff.datasets_changed["model"].after == same


def test_status_differences_of_runs_and_nodes(journal: Journal) -> None:
    start(journal, "a", second=0)
    journal.record_node("a", ran("n1"))
    journal.record_node("a", NodeRecord("n2", "failed", error="boom"))
    journal.finish_run("a", "failed", "boom")
    start(journal, "b", second=10)
    journal.record_node("b", ran("n1"))
    journal.record_node("b", ran("n2"))
    journal.record_node("b", ran("n3"))
    journal.finish_run("b", "succeeded")

    diff = journal.diff("a", "latest")

    assert (diff.run_a, diff.run_b) == ("a", "b")
    assert diff.status == Change("failed", "succeeded")
    assert diff.nodes_changed == {"n2": Change("failed", "ran"), "n3": Change(None, "ran")}
    assert not diff.identical


def test_a_run_compared_with_itself_is_identical(journal: Journal) -> None:
    start(journal, "a", parameters={"x": {"y": 1}})
    journal.record_node("a", ran("n1", loads={"d": "v1"}, saves={"e": "v1"}))

    diff = journal.diff("a", "a")

    assert diff.identical
    assert diff.status is None


def test_flatten_keeps_lists_and_empty_mappings_as_leaves() -> None:
    assert flatten({"a": {"b": [1, {"c": 2}], "d": {}}, "e": None}) == {
        "a.b": [1, {"c": 2}],
        "a.d": {},
        "e": None,
    }
