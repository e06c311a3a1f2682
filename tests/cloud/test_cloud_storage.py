"""File, versioned and partitioned datasets on S3 (moto) and Azure Blob (Azurite)."""

from __future__ import annotations

import pytest

from datamill import DataCatalog, Pipeline, node, run
from datamill.datasets.json import JSONDataset
from datamill.datasets.partitions import IncrementalDataset, PartitionedDataset
from datamill.errors import DatasetError
from datamill.io import _file as file_module
from datamill.io import remembered_hashes
from tests.cloud.conftest import Store
from tests.io.test_remembered_hashes import DictStore
from tests.resources import partition_funcs as pf
from tests.resources.file_datasets import HalfWrite


def test_a_file_round_trips(store: Store) -> None:
    dataset = JSONDataset(store.path("metrics.json"), credentials=store.credentials)
    assert not dataset.exists()
    dataset.save({"accuracy": 0.93})
    assert JSONDataset(dataset.filepath, credentials=store.credentials).load() == {"accuracy": 0.93}


def test_credentials_never_show(store: Store) -> None:
    dataset = JSONDataset(store.path("m.json"), credentials=store.credentials)
    secret = str(store.credentials.get("secret") or store.credentials["connection_string"])
    assert secret not in repr(dataset)
    assert secret not in str(dataset.describe())


def test_a_failed_upload_keeps_the_previous_object(store: Store) -> None:
    path = store.path("blob.bin")
    JSONDataset(path, credentials=store.credentials).save({"v": 1})
    with pytest.raises(DatasetError, match="disk full"):
        HalfWrite(path, credentials=store.credentials).save(b"x" * 100)
    assert JSONDataset(path, credentials=store.credentials).load() == {"v": 1}


def test_versions_are_listed_and_never_overwritten(store: Store) -> None:
    path = store.path("model.json")

    def versioned(load_version: str | None = None, save_version: str | None = None) -> JSONDataset:
        return JSONDataset(
            path,
            versioned=True,
            credentials=store.credentials,
            load_version=load_version,
            save_version=save_version,
        )

    versioned(save_version="v1").save({"n": 1})
    versioned(save_version="v2").save({"n": 2})
    assert versioned().list_versions() == ["v1", "v2"]
    assert versioned().load() == {"n": 2}
    assert versioned(load_version="v1").load() == {"n": 1}
    with pytest.raises(DatasetError, match="never overwritten"):
        versioned(save_version="v1").save({"n": 3})
    with pytest.raises(DatasetError, match="available: 'v1', 'v2'"):
        versioned(load_version="v0").load()


def test_fingerprints_follow_the_content(store: Store) -> None:
    dataset = JSONDataset(store.path("m.json"), credentials=store.credentials)
    dataset.save({"v": 1})
    first = dataset.fingerprint()
    assert first is not None
    dataset.save({"v": 2})
    assert dataset.fingerprint() not in (None, first)


def test_partitions_and_incremental_consumers(store: Store) -> None:
    folder = store.path("events")
    parts = PartitionedDataset(folder, "json.JSONDataset", credentials=store.credentials)
    parts.save({"2024/01": [1, 2], "2024/02": [3]})
    assert sorted(parts.load()) == ["2024/01", "2024/02"]

    pipe = Pipeline([node(pf.count_values, "events", "count")])

    def catalog() -> DataCatalog:
        reader = IncrementalDataset(
            folder, "json.JSONDataset", consumer="counter", credentials=store.credentials
        )
        return DataCatalog({"events": reader})

    assert run(pipe, catalog()) == {"count": 3}
    parts.save({"2023/12": [4, 5, 6]})  # arrives late, sorts first
    assert run(pipe, catalog()) == {"count": 3}
    assert run(pipe, catalog()) == {"count": 0}


def test_pandas_csv_and_parquet_round_trip(store: Store) -> None:
    import pandas as pd

    from datamill.datasets.pandas import CSVDataset, ParquetDataset

    frame = pd.DataFrame({"company": ["a", "b"], "rating": [4.5, 3.0]})
    for cls, name in ((CSVDataset, "companies.csv"), (ParquetDataset, "companies.parquet")):
        dataset = cls(store.path(name), credentials=store.credentials, versioned=True)
        dataset.save(frame)
        dataset.save(frame.assign(rating=[1.0, 2.0]))
        assert len(dataset.list_versions()) == 2
        latest = cls(dataset.filepath, credentials=store.credentials, versioned=True)
        pd.testing.assert_frame_equal(latest.load(), frame.assign(rating=[1.0, 2.0]))


def test_partitions_of_csv_files(store: Store) -> None:
    import pandas as pd

    folder = store.path("daily")
    parts = PartitionedDataset(
        folder, "pandas.CSVDataset", filename_suffix=".csv", credentials=store.credentials
    )
    parts.save({f"day-{i}": pd.DataFrame({"n": [i]}) for i in range(3)})
    loaded = {pid: load() for pid, load in parts.load().items()}
    assert sorted(loaded) == ["day-0", "day-1", "day-2"]
    assert loaded["day-2"]["n"].tolist() == [2]


def test_a_fingerprint_follows_the_content_not_the_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Azure Blob gives no checksum of the content (its etag changes with every write, even of
    # the same bytes): the content is hashed, from the local copy the save uploaded.
    hashed: list[str] = []
    real = file_module._hash_file

    def recorded(fs: object, path: str) -> str:
        hashed.append(type(fs).__name__)
        return real(fs, path)

    monkeypatch.setattr(file_module, "_hash_file", recorded)
    dataset = JSONDataset(store.path("same.json"), credentials=store.credentials)
    dataset.save({"v": 1})
    first = dataset.fingerprint()
    dataset.save({"v": 1})

    assert dataset.fingerprint() == first
    assert first is not None
    if store.url.startswith("s3://"):
        assert first.startswith("ETag:")  # the MD5 of the content
        assert hashed == []
    else:
        assert first.startswith("blake2b:")
        assert hashed == ["LocalFileSystem", "LocalFileSystem"]  # nothing downloaded
    fresh = JSONDataset(dataset.filepath, credentials=store.credentials)
    assert fresh.fingerprint() == first  # another object (a later run): hashed from the store
    dataset.save({"v": 2})
    assert dataset.fingerprint() != first


def test_the_hash_of_a_large_upload_is_remembered_for_later_runs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_module, "REMEMBER_FROM", 0)  # every file counts as large
    hashes = DictStore()
    with remembered_hashes(hashes):
        saved = JSONDataset(store.path("large.json"), credentials=store.credentials)
        saved.save({"v": 1})
        monkeypatch.setattr(file_module, "_hash_file", refuse_to_hash)
        fingerprint = JSONDataset(saved.filepath, credentials=store.credentials).fingerprint()

    assert fingerprint is not None
    assert fingerprint == saved.fingerprint()
    if store.url.startswith("abfs://"):  # no checksum of the store's own: the upload's hash
        assert list(hashes.hashes.values()) == [fingerprint.removeprefix("blake2b:")]
        assert hashes.lookups == 1  # the later run found it there


def refuse_to_hash(fs: object, path: str) -> str:
    raise AssertionError(f"{path} was read to hash it")
