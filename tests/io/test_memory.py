"""Tests for MemoryDataset: copy modes, emptiness, release and description."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest

from datamill.errors import DatasetError
from datamill.io import CopyMode, MemoryDataset
from datamill.testing import DatasetContract, DatasetFactory

# -- the shared contract -----------------------------------------------------------------


class TestMemoryDatasetContract(DatasetContract):
    @pytest.fixture(params=["assign", "copy", "deepcopy"])
    def copy_mode(self, request: pytest.FixtureRequest) -> CopyMode:
        mode: CopyMode = request.param
        return mode

    @pytest.fixture
    def make_dataset(self, copy_mode: CopyMode) -> DatasetFactory:
        return lambda: MemoryDataset(copy_mode=copy_mode)

    @pytest.fixture
    def sample_data(self) -> Any:
        return {"rows": [1, 2, 3], "password": "hunter2-not-for-logs"}

    @pytest.fixture
    def other_data(self) -> Any:
        return ["something", "else"]

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        # The data itself must not leak into descriptions or reprs.
        return ("hunter2-not-for-logs",)

    def test_pickled_empty_dataset_has_no_data(self, make_dataset: DatasetFactory) -> None:
        super().test_pickled_empty_dataset_has_no_data(make_dataset)


# -- copy modes --------------------------------------------------------------------------


def test_assign_is_the_default_copy_mode() -> None:
    assert MemoryDataset().describe()["copy_mode"] == "assign"


def test_assign_mode_hands_back_the_saved_object_itself() -> None:
    data = [1, 2]
    dataset = MemoryDataset()
    dataset.save(data)

    assert dataset.load() is data
    assert dataset.load() is data


def test_assign_mode_keeps_the_initial_object_itself() -> None:
    data = {"a": 1}

    assert MemoryDataset(data).load() is data


def test_assign_mode_shares_mutations_between_consumers() -> None:
    dataset = MemoryDataset([1])
    dataset.load().append(2)

    assert dataset.load() == [1, 2]


def test_copy_mode_copies_on_save() -> None:
    data = [1, 2]
    dataset = MemoryDataset(copy_mode="copy")
    dataset.save(data)
    data.append(3)

    assert dataset.load() == [1, 2]


def test_copy_mode_copies_on_load() -> None:
    dataset = MemoryDataset([1, 2], copy_mode="copy")
    loaded = dataset.load()
    loaded.append(3)

    assert loaded is not dataset.load()
    assert dataset.load() == [1, 2]


def test_copy_mode_is_shallow() -> None:
    inner = [1]
    dataset = MemoryDataset(copy_mode="copy")
    dataset.save([inner])

    assert dataset.load()[0] is inner


def test_deepcopy_mode_copies_nested_objects() -> None:
    inner = [1]
    dataset = MemoryDataset(copy_mode="deepcopy")
    dataset.save([inner])
    inner.append(2)
    loaded = dataset.load()

    assert loaded == [[1]]
    assert loaded[0] is not inner
    loaded[0].append(3)
    assert dataset.load() == [[1]]


@pytest.mark.parametrize("mode", ["copy", "deepcopy"])
def test_initial_data_is_copied_in_copying_modes(mode: CopyMode) -> None:
    data = [1]
    dataset = MemoryDataset(data, copy_mode=mode)
    data.append(2)

    assert dataset.load() == [1]


def test_unknown_copy_mode_is_refused_with_the_choices() -> None:
    with pytest.raises(DatasetError) as exc:
        MemoryDataset(copy_mode="clone")  # type: ignore[arg-type]

    assert str(exc.value) == (
        "copy_mode 'clone' is not supported; use one of assign, copy, deepcopy."
    )


# -- emptiness, exists and release ---------------------------------------------------------


def test_a_dataset_without_initial_data_does_not_exist() -> None:
    assert MemoryDataset().exists() is False


def test_a_dataset_with_initial_data_exists() -> None:
    assert MemoryDataset([1]).exists() is True


def test_loading_an_empty_dataset_explains_why_and_what_to_do() -> None:
    with pytest.raises(DatasetError) as exc:
        MemoryDataset().load()

    message = str(exc.value)
    assert message.startswith("MemoryDataset(copy_mode='assign') holds no data")
    assert "nothing was saved to it in this run" in message
    assert "released after its last consumer" in message
    assert "Provide the data or run its producer." in message


def test_released_dataset_no_longer_has_data() -> None:
    dataset = MemoryDataset([1])
    dataset.release()

    assert dataset.exists() is False
    with pytest.raises(DatasetError, match="holds no data"):
        dataset.load()


def test_a_released_dataset_accepts_new_data() -> None:
    dataset = MemoryDataset([1])
    dataset.release()
    dataset.save([2])

    assert dataset.load() == [2]


@pytest.mark.parametrize("falsy", [0, "", [], {}, False])
def test_falsy_data_counts_as_data(falsy: object) -> None:
    dataset = MemoryDataset()
    dataset.save(falsy)

    assert dataset.exists() is True
    assert dataset.load() == falsy


def test_none_given_at_construction_is_held_as_data() -> None:
    # A parameter whose value is null is served through MemoryDataset(None).
    dataset = MemoryDataset(None)

    assert dataset.exists() is True
    assert dataset.load() is None


def test_saving_none_is_refused_and_keeps_the_previous_data() -> None:
    dataset = MemoryDataset([1])

    with pytest.raises(DatasetError, match="Cannot save None"):
        dataset.save(None)
    assert dataset.load() == [1]


def test_memory_data_is_not_persistent() -> None:
    assert MemoryDataset.persistent is False
    assert MemoryDataset.accepts_chunks is False


# -- description ---------------------------------------------------------------------------


def test_describe_names_the_type_of_the_data_not_the_data() -> None:
    assert MemoryDataset({"token": "abc"}, copy_mode="deepcopy").describe() == {
        "data": "dict",
        "copy_mode": "deepcopy",
    }


def test_describe_of_an_empty_dataset_has_no_data_type() -> None:
    assert MemoryDataset().describe() == {"data": None, "copy_mode": "assign"}


def test_repr_shows_the_data_type_and_copy_mode() -> None:
    assert (
        repr(MemoryDataset([1], copy_mode="copy")) == "MemoryDataset(data='list', copy_mode='copy')"
    )


def test_repr_of_an_empty_dataset_leaves_out_the_data() -> None:
    assert repr(MemoryDataset()) == "MemoryDataset(copy_mode='assign')"


# -- copying the dataset object ------------------------------------------------------------


def test_deep_copied_dataset_holds_a_copy_of_the_data() -> None:
    dataset = MemoryDataset([1])
    clone = copy.deepcopy(dataset)
    clone.load().append(2)

    assert dataset.load() == [1]
    assert clone.load() == [1, 2]


def test_deep_copied_empty_dataset_has_no_data() -> None:
    assert copy.deepcopy(MemoryDataset()).exists() is False
