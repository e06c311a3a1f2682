"""Partitionwise nodes: one call per partition, each result saved before the next is loaded.

Skipping committed partitions needs the journal: see ``tests/project/test_partition_resume.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, hook_impl, node, run
from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import PipelineError, RunnerError

Event = tuple[str, str]


def double(part: dict[str, int], factor: int) -> dict[str, int]:
    return {"v": part["v"] * factor}


def folder(tmp_path: Path, name: str, **options: Any) -> PartitionedDataset:
    return PartitionedDataset(
        str(tmp_path / name), "json.JSONDataset", filename_suffix=".json", **options
    )


class SaveLog:
    def __init__(self, events: list[Event]) -> None:
        self.events = events

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        self.events.extend(("save", pid) for pid in data)


def test_each_partition_is_loaded_computed_and_saved_before_the_next(tmp_path: Path) -> None:
    events: list[Event] = []

    def loader(pid: str) -> Any:
        def load() -> dict[str, int]:
            events.append(("load", pid))
            return {"v": int(pid[1:])}

        return load

    def traced(part: dict[str, int], factor: int) -> dict[str, int]:
        events.append(("call", f"p{part['v']}"))
        return double(part, factor)

    partitions = {pid: loader(pid) for pid in ("p2", "p0", "p1")}
    catalog = DataCatalog(
        {"parts": MemoryDataset(partitions, copy_mode="assign"), "out": folder(tmp_path, "out")},
        parameters={"factor": 10},
    )
    pipe = Pipeline([node(traced, ["parts", "params:factor"], "out", partitionwise=True)])

    run(pipe, catalog, hooks=[SaveLog(events)])

    assert events == [
        (step, pid) for pid in ("p0", "p1", "p2") for step in ("load", "call", "save")
    ]
    assert {p: json.loads((tmp_path / f"out/{p}.json").read_text()) for p in ("p0", "p2")} == {
        "p0": {"v": 0},
        "p2": {"v": 20},
    }


@pytest.mark.parametrize("executor", ["sequential", "thread", "process"])
def test_a_partitioned_folder_maps_to_a_partitioned_folder(tmp_path: Path, executor: str) -> None:
    source = folder(tmp_path, "in")
    source.save({f"p{i}": {"v": i} for i in range(5)})
    catalog = DataCatalog({"in": source, "out": folder(tmp_path, "out")}, parameters={"factor": 3})
    pipe = Pipeline(
        [node(double, {"part": "in", "factor": "params:factor"}, "out", partitionwise=True)]
    )

    run(pipe, catalog, executor=executor)

    saved = folder(tmp_path, "out").load()
    assert {pid: load() for pid, load in saved.items()} == {f"p{i}": {"v": 3 * i} for i in range(5)}


def test_partitions_saved_before_a_failure_stay(tmp_path: Path) -> None:
    def fragile(part: dict[str, int]) -> dict[str, int]:
        if part["v"] == 2:
            raise ValueError("bad partition")
        return part

    source = folder(tmp_path, "in")
    source.save({f"p{i}": {"v": i} for i in range(4)})
    catalog = DataCatalog({"in": source, "out": folder(tmp_path, "out")})

    with pytest.raises(RunnerError, match="bad partition"):
        run(Pipeline([node(fragile, "in", "out", partitionwise=True)]), catalog)

    assert folder(tmp_path, "out").partition_ids() == ["p0", "p1"]


def test_the_output_must_be_a_partitioned_dataset_that_keeps_other_partitions(
    tmp_path: Path,
) -> None:
    catalog = DataCatalog(
        {"in": folder(tmp_path, "in"), "kept": folder(tmp_path, "k", overwrite=True)},
        parameters={"f": 1},
    )
    pipe = Pipeline(
        [
            node(double, ["in", "params:f"], "loose", name="a", partitionwise=True),
            node(double, ["in", "params:f"], "kept", name="b", partitionwise=True),
        ]
    )

    with pytest.raises(RunnerError) as raised:
        run(pipe, catalog)

    message = str(raised.value)
    assert "node 'a' is partitionwise, but its output 'loose' is undeclared (memory)" in message
    assert "node 'b' is partitionwise, but its output 'kept' has overwrite: true" in message


def test_a_partitionwise_node_needs_a_partitioned_first_input_and_one_output() -> None:
    def yields(part: Any) -> Any:
        yield part

    with pytest.raises(PipelineError, match="needs a partitioned dataset as its first input"):
        node(double, ["params:f", "in"], "out", partitionwise=True)
    with pytest.raises(PipelineError, match="writes one partitioned output"):
        node(double, ["in", "params:f"], ["a", "b"], partitionwise=True)
    with pytest.raises(PipelineError, match="must not yield"):
        node(yields, "in", "out", partitionwise=True)
    assert node(double, ["in", "params:f"], "out", partitionwise=True) != node(
        double, ["in", "params:f"], "out"
    )


def test_a_first_input_that_is_not_a_mapping_fails_with_the_node_named(tmp_path: Path) -> None:
    catalog = DataCatalog(
        {"in": MemoryDataset([1, 2]), "out": folder(tmp_path, "out")}, parameters={"f": 1}
    )

    with pytest.raises(RunnerError, match="loaded a list, not a mapping of partition id"):
        run(Pipeline([node(double, ["in", "params:f"], "out", partitionwise=True)]), catalog)
