"""File datasets: the contract on local and memory filesystems, atomic writes, versions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from datamill.datasets.json import JSONDataset
from datamill.datasets.pickle import PickleDataset
from datamill.datasets.text import TextDataset
from datamill.datasets.yaml import YAMLDataset
from datamill.errors import DatasetError
from datamill.io._file import FileDataset
from datamill.io._versioning import generate_version
from datamill.testing import DatasetContract, DatasetFactory, FileDatasetContract
from tests.resources.file_datasets import BytesFile, HalfWrite


class TestTextDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: TextDataset(f"{root}/notes.txt", versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: TextDataset(f"{root}/notes.txt")

    @pytest.fixture
    def sample_data(self) -> Any:
        return "héllo\nworld\n"

    @pytest.fixture
    def other_data(self) -> Any:
        return "bye"


class TestJSONDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: JSONDataset(f"{root}/metrics.json", versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: JSONDataset(f"{root}/metrics.json")

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"accuracy": 0.9, "labels": ["a", "b"]}

    @pytest.fixture
    def other_data(self) -> Any:
        return [1, 2]


class TestYAMLDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str) -> Callable[..., Any]:
        return lambda **kw: YAMLDataset(f"{root}/params.yml", versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: YAMLDataset(f"{root}/params.yml")

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"model": {"alpha": 0.1, "layers": [3, 4]}}

    @pytest.fixture
    def other_data(self) -> Any:
        return {"x": "y"}


@pytest.mark.parametrize("backend", ["pickle", "joblib", "cloudpickle"])
class TestPickleDataset(FileDatasetContract):
    @pytest.fixture
    def make_versioned(self, root: str, backend: str) -> Callable[..., Any]:
        return lambda **kw: PickleDataset(f"{root}/m.pkl", backend=backend, versioned=True, **kw)

    @pytest.fixture
    def make_dataset(self, root: str, backend: str) -> DatasetFactory:
        return lambda: PickleDataset(f"{root}/model.pkl", backend=backend)

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"weights": [0.5, 1.5], "name": "model"}

    @pytest.fixture
    def other_data(self) -> Any:
        return (1, 2, 3)


class TestVersionedJSONDataset(DatasetContract):
    @pytest.fixture
    def make_dataset(self, root: str) -> DatasetFactory:
        return lambda: JSONDataset(f"{root}/metrics.json", versioned=True)

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"v": 1}

    @pytest.fixture
    def other_data(self) -> Any:
        return {"v": 2}


class TestCredentialsStayHidden(DatasetContract):
    @pytest.fixture
    def make_dataset(self, tmp_path: Path) -> DatasetFactory:
        # LocalFileSystem accepts and ignores unknown options such as these.
        return lambda: JSONDataset(
            str(tmp_path / "x.json"), credentials={"token": "s3cr3t-t0ken"}, fs_args={}
        )

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"a": 1}

    @pytest.fixture
    def other_data(self) -> Any:
        return {"a": 2}

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return ["s3cr3t-t0ken"]


# -- errors --------------------------------------------------------------------------------


def test_a_missing_file_is_reported_with_its_path(root: str) -> None:
    dataset = JSONDataset(f"{root}/absent.json")
    with pytest.raises(DatasetError, match=r"has no file at .*absent\.json"):
        dataset.load()


def test_an_unknown_pickle_backend_is_refused() -> None:
    with pytest.raises(DatasetError, match=r"unknown backend 'dill'; use one of pickle"):
        PickleDataset("x.pkl", backend="dill")


def test_a_filepath_is_required() -> None:
    with pytest.raises(DatasetError, match="TextDataset needs a filepath"):
        TextDataset("")


def test_text_dataset_refuses_other_types(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"TextDataset saves str, got int"):
        TextDataset(str(tmp_path / "a.txt")).save(3)  # type: ignore[arg-type]


# -- atomic writes -------------------------------------------------------------------------


def test_a_failed_save_keeps_the_previous_content(root: str) -> None:
    path = f"{root}/blob.bin"
    BytesFile(path).save(b"previous content")
    with pytest.raises(DatasetError, match="disk full"):
        HalfWrite(path).save(b"new content that will never be complete")
    assert BytesFile(path).load() == b"previous content"


def test_a_failed_first_save_leaves_no_file(root: str) -> None:
    path = f"{root}/blob.bin"
    with pytest.raises(DatasetError):
        HalfWrite(path).save(b"0123456789")
    assert not BytesFile(path).exists()


def test_a_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        HalfWrite(str(tmp_path / "blob.bin")).save(b"0123456789")
    assert os.listdir(tmp_path) == []


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from tests.resources.file_datasets import HalfWrite
    HalfWrite(sys.argv[1], signal_fd=int(sys.argv[2])).save(b"N" * 1_000_000)
    """
)


def test_a_save_killed_midway_keeps_the_previous_content(tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    BytesFile(str(target)).save(b"previous content")
    read_end, write_end = os.pipe()
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target), str(write_end)],
        stdin=subprocess.PIPE,
        pass_fds=(write_end,),
        cwd=Path(__file__).parents[2],
    )
    os.close(write_end)
    try:
        assert os.read(read_end, 4) == b"half"  # the writer is now mid-write
        writer.kill()
        writer.wait(timeout=60)
    finally:
        os.close(read_end)
        if writer.stdin:
            writer.stdin.close()
    assert target.read_bytes() == b"previous content"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "blob.bin"]
    assert all(name.startswith(".blob.bin.") for name in leftovers)
    assert len(leftovers) == 1  # the hidden temporary file of the killed writer


# -- versions ------------------------------------------------------------------------------


def test_each_save_is_a_new_version_and_load_takes_the_latest(root: str) -> None:
    dataset = JSONDataset(f"{root}/m.json", versioned=True)
    for value in (1, 2, 3):
        dataset.save({"v": value})
    versions = dataset.list_versions()
    assert len(versions) == 3
    assert versions == sorted(versions)
    assert dataset.load() == {"v": 3}
    pinned = JSONDataset(f"{root}/m.json", versioned=True, load_version=versions[0])
    assert pinned.load() == {"v": 1}


def test_versions_are_stored_under_the_filepath(tmp_path: Path) -> None:
    dataset = JSONDataset(str(tmp_path / "m.json"), versioned=True, save_version="v1")
    dataset.save({"a": 1})
    assert json.loads((tmp_path / "m.json" / "v1" / "m.json").read_text()) == {"a": 1}


def test_an_existing_version_is_never_overwritten(root: str) -> None:
    JSONDataset(f"{root}/m.json", versioned=True, save_version="v1").save({"a": 1})
    again = JSONDataset(f"{root}/m.json", versioned=True, save_version="v1")
    with pytest.raises(DatasetError, match=r"Version 'v1' of JSONDataset.* already exists"):
        again.save({"a": 2})
    assert JSONDataset(f"{root}/m.json", versioned=True).load() == {"a": 1}


def test_a_missing_version_lists_the_available_ones(root: str) -> None:
    JSONDataset(f"{root}/m.json", versioned=True, save_version="v1").save({"a": 1})
    JSONDataset(f"{root}/m.json", versioned=True, save_version="v2").save({"a": 2})
    missing = JSONDataset(f"{root}/m.json", versioned=True, load_version="v9")
    with pytest.raises(DatasetError, match=r"no version 'v9'.*available: 'v1', 'v2'"):
        missing.load()


def test_a_versioned_dataset_without_versions_says_so(root: str) -> None:
    dataset = JSONDataset(f"{root}/m.json", versioned=True)
    assert not dataset.exists()
    with pytest.raises(DatasetError, match="has no saved version under"):
        dataset.load()


def test_an_invalid_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Version '../x' of JSONDataset"):
        JSONDataset("m.json", versioned=True, load_version="../x")


def test_generated_versions_sort_in_creation_order_and_are_unique() -> None:
    versions = [generate_version() for _ in range(2000)]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


VERSIONS_IN_A_PROCESS = (
    "from datamill.io._versioning import generate_version\n"
    "print('\\n'.join(generate_version() for _ in range(2000)))"
)


def test_versions_from_concurrent_processes_are_unique() -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", VERSIONS_IN_A_PROCESS], stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode().split() for p in procs]
    combined = outputs[0] + outputs[1]
    assert len(set(combined)) == 4000


# -- fingerprints --------------------------------------------------------------------------


def test_fingerprint_follows_content_not_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    dataset = JSONDataset(str(path))
    assert dataset.fingerprint() is None
    dataset.save({"a": 1})
    first = dataset.fingerprint()
    os.utime(path, (1_000_000, 1_000_000))  # touched, same content
    assert JSONDataset(str(path)).fingerprint() == first
    dataset.save({"a": 2})
    assert dataset.fingerprint() != first


def test_fingerprint_works_on_other_filesystems(root: str) -> None:
    dataset = TextDataset(f"{root}/a.txt")
    dataset.save("one")
    first = dataset.fingerprint()
    assert first is not None
    dataset.save("two")
    assert dataset.fingerprint() not in (None, first)


def test_versioned_fingerprint_is_the_latest_versions(root: str) -> None:
    dataset = TextDataset(f"{root}/a.txt", versioned=True)
    dataset.save("one")
    first = dataset.fingerprint()
    dataset.save("two")
    assert dataset.fingerprint() != first


def test_file_datasets_are_file_dataset_subclasses() -> None:
    for cls in (TextDataset, JSONDataset, YAMLDataset, PickleDataset):
        assert issubclass(cls, FileDataset)


def test_saved_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        TextDataset(str(tmp_path / "shared.txt")).save("for everyone")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o644


def test_a_versioned_dataset_without_versions_has_no_fingerprint(root: str) -> None:
    assert JSONDataset(f"{root}/m.json", versioned=True).fingerprint() is None


def test_a_missing_file_inside_the_reader_is_not_mistaken_for_a_missing_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = JSONDataset(str(tmp_path / "m.json"))
    dataset.save({"a": 1})

    def read(self: Any, stream: Any) -> Any:
        raise FileNotFoundError("the schema file referenced by the data")

    monkeypatch.setattr(JSONDataset, "_read", read)
    with pytest.raises(DatasetError, match="the schema file referenced") as info:
        dataset.load()
    assert "has no file at" not in str(info.value)
