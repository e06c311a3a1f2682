"""Partitioned and incremental datasets, alone and in pipeline runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.datasets.json import JSONDataset
from datamill.datasets.partitions import IncrementalDataset, PartitionedDataset
from datamill.errors import DatasetError, RunnerError
from datamill.testing import DatasetContract, DatasetFactory
from tests.resources import partition_funcs as pf


def loaded(parts: Any) -> dict[str, Any]:
    return {pid: load() for pid, load in parts.items()}


class TestPartitionedDataset(DatasetContract):
    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: PartitionedDataset(root, "json.JSONDataset", filename_suffix=".json")

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"2024-01-01": {"sales": 3}, "eu/2024-01-02": {"sales": 4}}

    @pytest.fixture
    def other_data(self) -> Any:
        return {"2024-01-03": [1, 2]}

    def after_two_saves(self, first: Any, second: Any) -> Any:
        return {**first, **second}  # saving adds partitions

    def assert_same_data(self, loaded_data: Any, expected: Any) -> None:
        assert loaded(loaded_data) == expected


def test_load_reads_no_partition_until_asked(tmp_path: Path) -> None:
    dataset = PartitionedDataset(str(tmp_path), pf.CountingText)
    dataset.save({"a": "1", "b": "2"})
    pf.CountingText.reads = 0
    parts = dataset.load()
    assert sorted(parts) == ["a", "b"]
    assert pf.CountingText.reads == 0
    assert parts["b"]() == "2"
    assert pf.CountingText.reads == 1


def test_callables_are_produced_one_partition_at_a_time(tmp_path: Path) -> None:
    dataset = PartitionedDataset(str(tmp_path), "text.TextDataset", filename_suffix=".txt")
    seen: list[list[str]] = []

    def make(value: str) -> Callable[[], str]:
        def produce() -> str:
            seen.append(sorted(os.listdir(tmp_path)))
            return value

        return produce

    dataset.save({"a": make("1"), "b": make("2"), "c": make("3")})
    assert seen == [[], ["a.txt"], ["a.txt", "b.txt"]]


def test_a_failing_partition_keeps_the_committed_ones_and_leaves_no_partial_file(
    tmp_path: Path,
) -> None:
    dataset = PartitionedDataset(str(tmp_path), pf.CountingText)
    with pytest.raises(DatasetError, match="failed in the middle of a partition"):
        dataset.save({"a": "fine", "b": "boom", "c": "never"})
    assert sorted(os.listdir(tmp_path)) == ["a"]
    assert loaded(dataset.load()) == {"a": "fine"}


def test_hidden_temporary_files_are_not_partitions(tmp_path: Path) -> None:
    (tmp_path / ".a.json.123.tmp").write_text("{")
    (tmp_path / "b.json").write_text("{}")
    dataset = PartitionedDataset(str(tmp_path), "json.JSONDataset", filename_suffix=".json")
    assert dataset.partition_ids() == ["b"]


def test_overwrite_removes_partitions_not_saved_again(tmp_path: Path) -> None:
    dataset = PartitionedDataset(str(tmp_path), "json.JSONDataset", overwrite=True)
    dataset.save({"old": 1, "kept": 2})
    dataset.save({"kept": 3, "new": 4})
    assert loaded(dataset.load()) == {"kept": 3, "new": 4}


def test_partition_type_can_be_a_mapping_with_arguments(tmp_path: Path) -> None:
    dataset = PartitionedDataset(
        str(tmp_path),
        {"type": "json.JSONDataset", "save_args": {"indent": 4}},
        filename_suffix=".json",
    )
    dataset.save({"a": {"k": 1}})
    assert (tmp_path / "a.json").read_text() == '{\n    "k": 1\n}'


def test_describe_shows_no_credentials(tmp_path: Path) -> None:
    dataset = PartitionedDataset(
        str(tmp_path), JSONDataset, credentials={"token": "hunter2"}, filename_suffix=".json"
    )
    assert "hunter2" not in repr(dataset)
    assert dataset.describe()["dataset"] == "JSONDataset"


def test_fingerprint_changes_when_a_partition_changes(tmp_path: Path) -> None:
    dataset = PartitionedDataset(str(tmp_path), "json.JSONDataset")
    assert dataset.fingerprint() is None
    dataset.save({"a": 1})
    first = dataset.fingerprint()
    assert first == PartitionedDataset(str(tmp_path), "json.JSONDataset").fingerprint()
    dataset.save({"b": 2})
    assert dataset.fingerprint() != first


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "saves a mapping of partition id to data, got list"),
        ({"../escape": 1}, "invalid partition id '../escape'"),
        ({"": 1}, "invalid partition id ''"),
        ({".hidden": 1}, "invalid partition id '.hidden'"),
    ],
)
def test_bad_saves_are_refused(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        PartitionedDataset(str(tmp_path), "json.JSONDataset").save(data)


def test_loading_an_empty_folder_names_it(tmp_path: Path) -> None:
    dataset = PartitionedDataset(str(tmp_path / "none"), "json.JSONDataset", filename_suffix=".j")
    with pytest.raises(DatasetError, match=r"has no partitions under .*none ending with '\.j'"):
        dataset.load()


def test_an_unknown_partition_type_is_reported() -> None:
    with pytest.raises(DatasetError, match=r"json\.JSONDatset"):
        PartitionedDataset("x", "json.JSONDatset")


def test_a_partition_type_must_be_given_properly() -> None:
    with pytest.raises(DatasetError, match="needs a string 'type'"):
        PartitionedDataset("x", {"filepath": "y"})


# -- generator nodes -----------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_each_yielded_chunk_is_committed_as_it_comes(tmp_path: Path, executor: str) -> None:
    folder = tmp_path / "days"
    catalog = DataCatalog(
        {
            "folder": MemoryDataset(str(folder)),
            "days": PartitionedDataset(str(folder), "json.JSONDataset"),
        }
    )
    run(Pipeline([node(pf.emit_days, "folder", "days")]), catalog, executor=executor)
    days = loaded(catalog.load("days"))
    assert [days[d]["committed_before"] for d in ("d1", "d2", "d3")] == [
        [],
        ["d1"],
        ["d1", "d2"],
    ]


# -- incremental datasets ------------------------------------------------------------------


def incremental(root: str, consumer: str = "default") -> IncrementalDataset:
    return IncrementalDataset(root, "json.JSONDataset", consumer=consumer)


def test_only_unprocessed_partitions_are_loaded_once_confirmed(root: str) -> None:
    PartitionedDataset(root, "json.JSONDataset").save({"a": [1], "b": [2]})
    first = incremental(root)
    assert sorted(first.load()) == ["a", "b"]
    first.confirm()
    PartitionedDataset(root, "json.JSONDataset").save({"c": [3]})
    assert sorted(incremental(root).load()) == ["c"]


def test_without_confirmation_the_same_partitions_come_again(root: str) -> None:
    PartitionedDataset(root, "json.JSONDataset").save({"a": [1]})
    assert sorted(incremental(root).load()) == ["a"]
    assert sorted(incremental(root).load()) == ["a"]


def test_partitions_arriving_out_of_name_order_are_not_missed(root: str) -> None:
    parts = PartitionedDataset(root, "json.JSONDataset")
    parts.save({"m": [1]})
    reader = incremental(root)
    reader.load()
    reader.confirm()
    parts.save({"a": [2]})  # sorts before the processed 'm', yet is new
    assert sorted(incremental(root).load()) == ["a"]


def test_consumers_keep_their_own_checkpoints(root: str) -> None:
    PartitionedDataset(root, "json.JSONDataset").save({"a": [1]})
    reporting = incremental(root, "reporting")
    reporting.load()
    reporting.confirm()
    assert incremental(root, "reporting").load() == {}
    assert sorted(incremental(root, "training").load()) == ["a"]
    assert incremental(root, "training").processed() == set()
    assert incremental(root, "reporting").processed() == {"a"}


def test_checkpoints_are_not_partitions(tmp_path: Path) -> None:
    PartitionedDataset(str(tmp_path), "json.JSONDataset").save({"a": [1]})
    reader = incremental(str(tmp_path))
    reader.load()
    reader.confirm()
    assert PartitionedDataset(str(tmp_path), "json.JSONDataset").partition_ids() == ["a"]


def test_a_consumer_name_must_be_a_plain_name() -> None:
    with pytest.raises(DatasetError, match="consumer must be a non-empty name"):
        IncrementalDataset("x", "json.JSONDataset", consumer="a/b")


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_a_successful_consumer_advances_the_checkpoint(tmp_path: Path, executor: str) -> None:
    PartitionedDataset(str(tmp_path), "json.JSONDataset").save({"a": [1, 2], "b": [3]})
    pipe = Pipeline([node(pf.count_values, "events", "count")])

    def catalog() -> DataCatalog:
        return DataCatalog({"events": incremental(str(tmp_path), "counter")})

    assert run(pipe, catalog(), executor=executor) == {"count": 3}
    assert run(pipe, catalog(), executor=executor) == {"count": 0}


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_a_failing_consumer_leaves_the_checkpoint(tmp_path: Path, executor: str) -> None:
    PartitionedDataset(str(tmp_path), "json.JSONDataset").save({"a": [1]})
    failing = Pipeline([node(pf.fail_on_parts, "events", "count")])
    catalog = DataCatalog({"events": incremental(str(tmp_path), "counter")})
    with pytest.raises(RunnerError, match=r"cannot process \['a'\]"):
        run(failing, catalog, executor=executor)
    assert incremental(str(tmp_path), "counter").processed() == set()
