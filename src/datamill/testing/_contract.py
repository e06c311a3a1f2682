"""A contract every dataset type must honour, as a test class to inherit.

A dataset author subclasses :class:`DatasetContract` in a test module (the subclass name must
start with ``Test`` for pytest to collect it) and provides three fixtures::

    class TestCsvDataset(DatasetContract):
        @pytest.fixture
        def make_dataset(self, tmp_path: Path) -> DatasetFactory:
            return lambda: CsvDataset(tmp_path / "table.csv")

        @pytest.fixture
        def sample_data(self) -> Any:
            return [{"a": 1}]

        @pytest.fixture
        def other_data(self) -> Any:
            return [{"a": 2}]

``make_dataset`` returns a factory: each call gives a new dataset object, with no data yet,
backed by the same storage (the same path, table or bucket key). Override ``secrets`` to list
strings (passwords, tokens) the dataset is configured with, which must never show up in its
description or repr, and :meth:`DatasetContract.assert_same_data` when ``==`` cannot compare
the data type (data frames, arrays).

Import it from ``datamill.testing``; it needs pytest (``pip install "datamill[testing]"``).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from datamill.errors import DatasetError
from datamill.io import AbstractDataset

__all__ = ["DatasetContract", "DatasetFactory"]

DatasetFactory = Callable[[], AbstractDataset[Any, Any]]
"""Returns a new dataset object, without data, on the storage shared by every call."""


def _strings_in(value: object) -> Iterator[str]:
    """Every string inside a description (keys and values, nested containers included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)
    else:
        yield repr(value)


class DatasetContract:
    """The behaviour every dataset type shares; inherit it and provide the fixtures."""

    @pytest.fixture
    def make_dataset(self) -> DatasetFactory:
        """A factory of new, empty dataset objects on the same storage (override it)."""
        raise NotImplementedError("Define a `make_dataset` fixture in the test class.")

    @pytest.fixture
    def sample_data(self) -> Any:
        """Data the dataset can save and load back (override it)."""
        raise NotImplementedError("Define a `sample_data` fixture in the test class.")

    @pytest.fixture
    def other_data(self) -> Any:
        """Data different from ``sample_data``, to check that a save replaces (override it)."""
        raise NotImplementedError("Define an `other_data` fixture in the test class.")

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        """Strings the dataset is configured with that must never be revealed."""
        return ()

    def after_two_saves(self, first: Any, second: Any) -> Any:
        """What a load returns after saving ``first`` then ``second``: by default ``second``.

        Datasets that accept chunks add to what they hold on each save; override this to
        return the combination (e.g. the union of two partition mappings).
        """
        return second

    def assert_same_data(self, loaded: Any, expected: Any) -> None:
        """Fail unless ``loaded`` is the data ``expected``; override for unusual types."""
        assert loaded == expected

    # -- existence and loading ------------------------------------------------------------

    def test_is_a_dataset(self, make_dataset: DatasetFactory) -> None:
        assert isinstance(make_dataset(), AbstractDataset)

    def test_new_dataset_has_no_data(self, make_dataset: DatasetFactory) -> None:
        assert make_dataset().exists() is False

    def test_loading_before_saving_raises_dataset_error(self, make_dataset: DatasetFactory) -> None:
        with pytest.raises(DatasetError):
            make_dataset().load()

    def test_save_then_load_round_trips(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)

        self.assert_same_data(dataset.load(), sample_data)
        self.assert_same_data(dataset.load(), sample_data)

    def test_exists_after_save(self, make_dataset: DatasetFactory, sample_data: Any) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)

        assert dataset.exists() is True

    def test_saving_again_replaces_the_data(
        self, make_dataset: DatasetFactory, sample_data: Any, other_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        dataset.save(other_data)

        self.assert_same_data(dataset.load(), self.after_two_saves(sample_data, other_data))

    def test_saving_none_raises_and_stores_nothing(self, make_dataset: DatasetFactory) -> None:
        dataset = make_dataset()

        with pytest.raises(DatasetError, match="None"):
            dataset.save(None)
        assert dataset.exists() is False

    # -- persistence and release ------------------------------------------------------------

    def test_persistent_flag_tells_whether_data_outlives_the_object(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        make_dataset().save(sample_data)

        assert make_dataset().exists() is make_dataset().persistent

    def test_release_drops_memory_but_keeps_stored_data(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        dataset.release()

        if dataset.persistent:
            self.assert_same_data(dataset.load(), sample_data)
        else:
            assert dataset.exists() is False
            with pytest.raises(DatasetError):
                dataset.load()

    def test_release_of_an_empty_dataset_is_harmless(self, make_dataset: DatasetFactory) -> None:
        dataset = make_dataset()
        dataset.release()

        assert dataset.exists() is False

    def test_saving_after_release_works(
        self, make_dataset: DatasetFactory, sample_data: Any, other_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        dataset.release()
        dataset.save(other_data)

        assert dataset.exists() is True
        # Releasing keeps stored data, so a persistent dataset behaves as after two saves.
        persisted = self.after_two_saves(sample_data, other_data)
        self.assert_same_data(dataset.load(), persisted if dataset.persistent else other_data)

    # -- description ------------------------------------------------------------------------

    def test_describe_is_a_dict_with_string_keys(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        dataset = make_dataset()
        before = dataset.describe()
        dataset.save(sample_data)
        after = dataset.describe()

        for description in (before, after):
            assert isinstance(description, dict)
            assert all(isinstance(key, str) for key in description)

    def test_describe_and_repr_reveal_no_secrets(
        self, make_dataset: DatasetFactory, sample_data: Any, secrets: Sequence[str]
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        shown = [*_strings_in(dataset.describe()), repr(dataset)]

        leaks = [s for s in secrets for text in shown if s in text]
        assert leaks == []

    def test_repr_names_the_dataset_type(self, make_dataset: DatasetFactory) -> None:
        dataset = make_dataset()

        assert repr(dataset).startswith(f"{type(dataset).__name__}(")

    # -- pickling ---------------------------------------------------------------------------

    def test_pickled_dataset_loads_the_saved_data(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        restored = pickle.loads(pickle.dumps(dataset))

        assert type(restored) is type(dataset)
        assert restored.exists() is True
        self.assert_same_data(restored.load(), sample_data)

    def test_pickled_empty_dataset_has_no_data(self, make_dataset: DatasetFactory) -> None:
        restored = pickle.loads(pickle.dumps(make_dataset()))

        assert restored.exists() is False
        with pytest.raises(DatasetError):
            restored.load()

    def test_pickled_dataset_describes_itself_the_same(
        self, make_dataset: DatasetFactory, sample_data: Any
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)

        assert pickle.loads(pickle.dumps(dataset)).describe() == dataset.describe()


class _FailingStream:
    """Wraps a binary stream and fails once more than ``limit`` bytes were written."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if len(chunk) > self._left:
            self._stream.write(chunk[: self._left])
            raise OSError("simulated failure in the middle of a write")
        self._left -= len(chunk)
        return int(self._stream.write(chunk))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class FileDatasetContract(DatasetContract):
    """The contract of datasets stored in files: atomic writes and versioning, on top of
    :class:`DatasetContract`.

    Provide ``make_dataset`` as for :class:`DatasetContract`, and ``make_versioned``: a
    factory taking keyword arguments (``load_version``, ``save_version``) and returning a
    new versioned dataset on the same storage.
    """

    @pytest.fixture
    def make_versioned(self) -> Callable[..., Any]:
        """A factory of versioned datasets on one storage (override it)."""
        raise NotImplementedError("Define a `make_versioned` fixture in the test class.")

    def test_a_write_failing_midway_keeps_the_previous_data(
        self,
        make_dataset: DatasetFactory,
        sample_data: Any,
        other_data: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        dataset = make_dataset()
        dataset.save(sample_data)
        original = type(dataset)._write  # type: ignore[attr-defined]

        def failing_write(self: Any, data: Any, stream: Any) -> None:
            original(self, data, _FailingStream(stream, limit=1))

        monkeypatch.setattr(type(dataset), "_write", failing_write)
        with pytest.raises(DatasetError):
            dataset.save(other_data)
        monkeypatch.undo()

        self.assert_same_data(make_dataset().load(), sample_data)

    def test_versions_are_kept_and_the_latest_is_loaded(
        self, make_versioned: Callable[..., Any], sample_data: Any, other_data: Any
    ) -> None:
        make_versioned(save_version="2020-01-01T00.00.00.000000Z-a").save(sample_data)
        make_versioned(save_version="2020-01-02T00.00.00.000000Z-b").save(other_data)
        latest = make_versioned()

        assert latest.list_versions() == [
            "2020-01-01T00.00.00.000000Z-a",
            "2020-01-02T00.00.00.000000Z-b",
        ]
        self.assert_same_data(latest.load(), other_data)
        pinned = make_versioned(load_version="2020-01-01T00.00.00.000000Z-a")
        self.assert_same_data(pinned.load(), sample_data)

    def test_an_existing_version_is_never_overwritten(
        self, make_versioned: Callable[..., Any], sample_data: Any, other_data: Any
    ) -> None:
        make_versioned(save_version="v1").save(sample_data)

        with pytest.raises(DatasetError, match="never overwritten"):
            make_versioned(save_version="v1").save(other_data)
        self.assert_same_data(make_versioned().load(), sample_data)

    def test_a_missing_version_names_the_available_ones(
        self, make_versioned: Callable[..., Any], sample_data: Any
    ) -> None:
        make_versioned(save_version="v1").save(sample_data)

        with pytest.raises(DatasetError, match="available: 'v1'"):
            make_versioned(load_version="v0").load()
