"""Content hashes of large files kept in a `HashStore` beyond the dataset objects' lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamill.datasets.json import JSONDataset
from datamill.io import _file as file_module
from datamill.io import remembered_hashes


class DictStore:
    """A `HashStore` in a dict, counting lookups."""

    def __init__(self) -> None:
        self.hashes: dict[tuple[str, str], str] = {}
        self.lookups = 0

    def file_hash(self, url: str, stamp: str) -> str | None:
        self.lookups += 1
        return self.hashes.get((url, stamp))

    def remember_file_hash(self, url: str, stamp: str, digest: str) -> None:
        self.hashes[url, stamp] = digest


class BrokenStore:
    def file_hash(self, url: str, stamp: str) -> str | None:
        raise OSError("database is locked")

    def remember_file_hash(self, url: str, stamp: str, digest: str) -> None:
        raise OSError("database is locked")


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large."""
    monkeypatch.setattr(file_module, "REMEMBER_FROM", 0)


def saved(tmp_path: Path, data: object) -> JSONDataset:
    dataset = JSONDataset(str(tmp_path / "data.json"))
    dataset.save(data)
    return dataset


@pytest.mark.usefixtures("large")
def test_a_new_dataset_object_reads_the_hash_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DictStore()
    with remembered_hashes(store):
        first = saved(tmp_path, {"a": 1}).fingerprint()
    assert [url for url, _ in store.hashes] == [(tmp_path / "data.json").as_uri()]

    def no_reading(fs: object, path: str) -> str:
        raise AssertionError("read again")

    monkeypatch.setattr(file_module, "_hash_file", no_reading)
    with remembered_hashes(store):
        again = JSONDataset(str(tmp_path / "data.json")).fingerprint()
    assert again == first


@pytest.mark.usefixtures("large")
def test_a_changed_file_is_hashed_again(tmp_path: Path) -> None:
    store = DictStore()
    with remembered_hashes(store):
        first = saved(tmp_path, {"a": 1}).fingerprint()
        second = saved(tmp_path, {"a": 22}).fingerprint()
    assert first != second
    assert len(store.hashes) == 2


def test_small_files_do_not_use_the_store(tmp_path: Path) -> None:
    store = DictStore()
    with remembered_hashes(store):
        assert saved(tmp_path, [1, 2]).fingerprint() is not None
    assert (store.lookups, store.hashes) == (0, {})


@pytest.mark.usefixtures("large")
def test_a_failing_store_only_costs_the_hashing(tmp_path: Path) -> None:
    plain = saved(tmp_path, {"a": 1}).fingerprint()
    with remembered_hashes(BrokenStore()):
        assert JSONDataset(str(tmp_path / "data.json")).fingerprint() == plain


@pytest.mark.usefixtures("large")
def test_outside_the_block_no_store_is_used(tmp_path: Path) -> None:
    store = DictStore()
    with remembered_hashes(store):
        pass
    saved(tmp_path, [1]).fingerprint()
    assert store.lookups == 0
