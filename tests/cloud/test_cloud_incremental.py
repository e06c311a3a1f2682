"""Incremental runs and partition resume with every dataset on an object store.

Object stores fingerprint data by what the store says of each object (its ETag, or its
content), not by local file stamps: these runs check that skipping, rerunning and resuming
partition by partition behave on S3 (moto) and Azure Blob (Azurite) as on local disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec
import pytest

from datamill import DataCatalog, Pipeline, node
from datamill.datasets.json import JSONDataset
from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import RunnerError
from datamill.hooks import create_hook_manager
from datamill.journal import Journal
from datamill.runner import RunInfo, Tracking, create_executor, run_with
from tests.cloud.conftest import Store

COMPUTED: list[str] = []  # what the node functions computed, in order (emptied before runs)


def double(values: list[int]) -> list[int]:
    COMPUTED.append("double")
    return [v * 2 for v in values]


def total(values: list[int]) -> int:
    COMPUTED.append("total")
    return sum(values)


def square(part: dict[str, Any]) -> dict[str, Any]:
    # Not a module constant: a constant the function reads is part of its code fingerprint.
    if part["id"] == os.environ.get("MILL_FAIL_AT"):
        raise RuntimeError(f"cannot square {part['id']}")
    COMPUTED.append(part["id"])
    return {"id": part["id"], "value": part["value"] ** 2}


class Project:
    """One pipeline's catalog on ``store`` and a local journal, run again and again."""

    def __init__(self, store: Store, journal: Path, pipeline: Pipeline) -> None:
        self.root = store.path("project")
        self.credentials = store.credentials
        self.journal = journal
        self.pipeline = pipeline
        self.filesystem, self.folder = fsspec.url_to_fs(self.root, **store.credentials)

    def json(self, name: str, **options: Any) -> JSONDataset:
        return JSONDataset(f"{self.root}/{name}.json", credentials=self.credentials, **options)

    def parts(self, name: str) -> PartitionedDataset:
        return PartitionedDataset(
            f"{self.root}/{name}",
            "json.JSONDataset",
            credentials=self.credentials,
            filename_suffix=".json",
        )

    def run(self, catalog: Callable[[], DataCatalog]) -> dict[str, str]:
        """Run the pipeline (failures raise); each node's reason to run, or 'skipped'."""
        COMPUTED.clear()
        with Journal(self.journal) as journal:
            tracking = Tracking(journal, RunInfo("cloud"))
            try:
                run_with(
                    self.pipeline,
                    catalog(),
                    create_executor("sequential", None),
                    create_hook_manager([]),
                    tracking=tracking,
                )
            finally:
                plan = {n: d.reason if d.runs else "skipped" for n, d in tracking.decisions.items()}
        return plan


def test_unchanged_objects_are_not_computed_again(store: Store, tmp_path: Path) -> None:
    pipeline = Pipeline(
        [node(double, "raw", "doubled", name="double"), node(total, "doubled", "sum", name="total")]
    )
    project = Project(store, tmp_path / "journal.db", pipeline)

    def catalog() -> DataCatalog:
        return DataCatalog(
            {
                "raw": project.json("raw"),
                "doubled": project.json("doubled"),
                "sum": project.json("sum"),
            }
        )

    project.json("raw").save([1, 2, 3])
    assert project.run(catalog) == {
        "double": "no successful run recorded",
        "total": "no successful run recorded",
    }
    assert project.json("sum").load() == 12

    assert project.run(catalog) == {"double": "skipped", "total": "skipped"}
    project.json("raw").save([1, 2, 3])  # written again, the same content
    assert project.run(catalog) == {"double": "skipped", "total": "skipped"}
    assert COMPUTED == []

    project.json("raw").save([1, 2, 4])
    assert project.run(catalog) == {
        "double": "input 'raw' changed",
        "total": "input 'doubled' is recomputed by node 'double'",
    }
    assert project.json("sum").load() == 14

    project.filesystem.rm(f"{project.folder}/sum.json")
    assert project.run(catalog) == {"double": "skipped", "total": "output 'sum' missing"}
    assert COMPUTED == ["total"]
    assert project.json("sum").load() == 14


def test_a_failed_partitionwise_node_resumes_from_its_committed_partitions(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline([node(square, "events", "squares", name="square", partitionwise=True)])
    project = Project(store, tmp_path / "journal.db", pipeline)

    def catalog() -> DataCatalog:
        return DataCatalog({"events": project.parts("events"), "squares": project.parts("squares")})

    ids = [f"p{i}" for i in range(6)]
    project.parts("events").save({i: {"id": i, "value": n} for n, i in enumerate(ids)})
    monkeypatch.setenv("MILL_FAIL_AT", "p3")
    with pytest.raises(RunnerError, match="Node 'square' failed"):
        project.run(catalog)
    monkeypatch.delenv("MILL_FAIL_AT")
    assert COMPUTED == ["p0", "p1", "p2"]
    assert sorted(project.parts("squares").load()) == ["p0", "p1", "p2"]

    project.run(catalog)

    assert COMPUTED == ["p3", "p4", "p5"]  # the committed partitions are not computed again
    squares = project.parts("squares").load()
    assert {k: load()["value"] for k, load in squares.items()} == {
        i: n * n for n, i in enumerate(ids)
    }
    assert project.run(catalog) == {"square": "skipped"}
