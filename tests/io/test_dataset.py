"""Tests for AbstractDataset: public methods wrapping the protected ones a dataset implements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from datamill.errors import DatamillError, DatasetError
from datamill.io import AbstractDataset
from tests.resources.datasets import FailingDataset


class DictDataset(AbstractDataset[Any, Any]):
    """Keeps its data under a key of a shared dict and records each protected call."""

    def __init__(self, store: dict[str, Any], key: str = "data", *, note: str | None = None):
        self.store = store
        self.key = key
        self.note = note
        self.calls: list[str] = []

    def _load(self) -> Any:
        self.calls.append("load")
        return self.store[self.key]

    def _save(self, data: Any) -> None:
        self.calls.append("save")
        self.store[self.key] = data

    def _exists(self) -> bool:
        self.calls.append("exists")
        return self.key in self.store

    def _release(self) -> None:
        self.calls.append("release")

    def _describe(self) -> dict[str, Any]:
        return {"key": self.key, "note": self.note}


class MinimalDataset(AbstractDataset[int, int]):
    """Implements only the abstract methods, relying on the defaults for the rest."""

    def __init__(self) -> None:
        self.data = 0

    def _load(self) -> int:
        return self.data

    def _save(self, data: int) -> None:
        self.data = data

    def _describe(self) -> dict[str, Any]:
        return {}


Call = Callable[[AbstractDataset[Any, Any]], object]

PUBLIC_CALLS: list[tuple[str, Call]] = [
    ("load", lambda ds: ds.load()),
    ("save", lambda ds: ds.save([1])),
    ("exists", lambda ds: ds.exists()),
]


# -- the wrappers call the protected methods ---------------------------------------------


def test_load_returns_what_the_protected_load_returns() -> None:
    dataset = DictDataset({"data": [1, 2]})

    assert dataset.load() == [1, 2]
    assert dataset.calls == ["load"]


def test_save_hands_the_data_to_the_protected_save() -> None:
    store: dict[str, Any] = {}
    dataset = DictDataset(store)
    dataset.save({"a": 1})

    assert store == {"data": {"a": 1}}
    assert dataset.calls == ["save"]


def test_exists_reports_what_the_protected_exists_says() -> None:
    store: dict[str, Any] = {}
    dataset = DictDataset(store)

    assert dataset.exists() is False
    store["data"] = 1
    assert dataset.exists() is True


def test_release_calls_the_protected_release_and_keeps_stored_data() -> None:
    dataset = DictDataset({"data": 3})
    dataset.release()

    assert dataset.calls == ["release"]
    assert dataset.load() == 3


def test_describe_returns_the_protected_description() -> None:
    assert DictDataset({}, "k", note="n").describe() == {"key": "k", "note": "n"}


def test_repr_lists_the_described_values() -> None:
    assert repr(DictDataset({}, "k", note="n")) == "DictDataset(key='k', note='n')"


def test_repr_omits_described_values_that_are_none() -> None:
    assert repr(DictDataset({}, "k")) == "DictDataset(key='k')"


def test_repr_of_a_dataset_describing_nothing_has_empty_parentheses() -> None:
    assert repr(MinimalDataset()) == "MinimalDataset()"


# -- defaults ----------------------------------------------------------------------------


def test_a_dataset_type_must_implement_load_save_and_describe() -> None:
    class OnlyLoad(AbstractDataset[int, int]):
        def _load(self) -> int:
            return 1

    with pytest.raises(TypeError, match="abstract"):
        OnlyLoad()  # type: ignore[abstract]


def test_by_default_a_dataset_exists_and_release_keeps_its_data() -> None:
    dataset = MinimalDataset()
    dataset.save(5)
    dataset.release()

    assert dataset.exists() is True
    assert dataset.load() == 5


def test_by_default_a_dataset_is_persistent_and_takes_no_chunks() -> None:
    assert MinimalDataset.persistent is True
    assert MinimalDataset.accepts_chunks is False


# -- saving None -------------------------------------------------------------------------


def test_saving_none_is_refused_without_calling_the_protected_save() -> None:
    store: dict[str, Any] = {}
    dataset = DictDataset(store, "k")

    with pytest.raises(DatasetError, match="Cannot save None") as exc:
        dataset.save(None)
    assert "DictDataset(key='k')" in str(exc.value)
    assert "return a value from the node" in str(exc.value)
    assert dataset.calls == []
    assert store == {}


@pytest.mark.parametrize("falsy", [0, "", [], {}, False])
def test_falsy_data_other_than_none_can_be_saved(falsy: object) -> None:
    store: dict[str, Any] = {}
    DictDataset(store).save(falsy)

    assert store == {"data": falsy}


# -- error wrapping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "start"),
    [
        (PUBLIC_CALLS[0][1], "Failed to load FailingDataset(path='broken.bin'): OSError: "),
        (PUBLIC_CALLS[1][1], "Failed to save to FailingDataset(path='broken.bin'): OSError: "),
        (PUBLIC_CALLS[2][1], "Failed to check whether FailingDataset(path='broken.bin') exists: "),
    ],
    ids=[name for name, _ in PUBLIC_CALLS],
)
def test_unexpected_errors_become_dataset_errors_naming_the_dataset(call: Call, start: str) -> None:
    error = OSError("disk on fire")

    with pytest.raises(DatasetError) as exc:
        call(FailingDataset(error))
    assert str(exc.value).startswith(start)
    assert str(exc.value).endswith("disk on fire")
    assert exc.value.__cause__ is error
    assert exc.value.dataset_name is None
    assert isinstance(exc.value, DatamillError)


@pytest.mark.parametrize("call", [c for _, c in PUBLIC_CALLS], ids=[n for n, _ in PUBLIC_CALLS])
def test_dataset_errors_pass_through_unchanged(call: Call) -> None:
    error = DatasetError("already explained", dataset_name="x")

    with pytest.raises(DatasetError) as exc:
        call(FailingDataset(error))
    assert exc.value is error


@pytest.mark.parametrize("call", [c for _, c in PUBLIC_CALLS], ids=[n for n, _ in PUBLIC_CALLS])
def test_keyboard_interrupt_is_not_wrapped(call: Call) -> None:
    with pytest.raises(KeyboardInterrupt):
        call(FailingDataset(KeyboardInterrupt()))


def test_unexpected_error_in_release_becomes_a_dataset_error() -> None:
    error = OSError("cannot unmap")

    with pytest.raises(DatasetError, match="cannot unmap") as exc:
        FailingDataset(error).release()
    assert exc.value.__cause__ is error


# -- config_parts: what incremental runs compare of a catalog entry ---------------------------


def _json(**options: Any) -> AbstractDataset[Any, Any]:
    from datamill.datasets.json import JSONDataset

    return JSONDataset(**{"filepath": "data/a.json", **options})


def test_config_parts_name_the_type_and_each_option_set() -> None:
    parts = _json(load_args={"strict": False}, versioned=True).config_parts("load")

    assert parts == {
        "type": "datamill.datasets.json.JSONDataset",  # its public path
        "load_args": {"strict": False},
        "versioned": True,
    }
    assert _json().config_parts("load").keys() == {"type"}  # unset options are no parts


def test_config_parts_leave_out_the_other_role_and_where_the_data_is() -> None:
    dataset = _json(load_args={"strict": False}, save_args={"indent": 4}, load_version="v1")

    assert sorted(dataset.config_parts("load")) == ["load_args", "type"]
    assert sorted(dataset.config_parts("save")) == ["save_args", "type"]
    moved = _json(filepath="/elsewhere/a.json", load_args={"strict": False})
    assert moved.config_parts("load") == _json(load_args={"strict": False}).config_parts("load")


def test_config_parts_change_with_each_value_and_type() -> None:
    from datamill.datasets.yaml import YAMLDataset

    strict = _json(load_args={"strict": True}).config_parts("load")
    lax = _json(load_args={"strict": False}).config_parts("load")
    assert strict["type"] == lax["type"]
    assert strict["load_args"] != lax["load_args"]
    assert YAMLDataset(filepath="data/a.json").config_parts("load")["type"] != strict["type"]


def test_config_parts_of_a_database_table_count_where_it_is() -> None:
    pytest.importorskip("sqlalchemy", reason="needs the sql extra (sqlalchemy)")
    from datamill.datasets.pandas import SQLTableDataset

    one = SQLTableDataset("shuttles", {"con": "sqlite:///one.db"}).config_parts("load")
    other = SQLTableDataset("shuttles", {"con": "sqlite:///other.db"}).config_parts("load")
    # A table gives no fingerprint to stand for where it is: the connection counts.
    assert one["con"] != other["con"]
    assert one["table_name"] == other["table_name"]


def test_config_parts_of_partitions_count_how_each_partition_is_read() -> None:
    from datamill.datasets.partitions import PartitionedDataset

    def parts(dataset: dict[str, Any]) -> dict[str, str]:
        return PartitionedDataset("data/parts", dataset).config_parts("load")

    plain = parts({"type": "json.JSONDataset"})
    assert plain != parts({"type": "json.JSONDataset", "load_args": {"strict": False}})
    assert plain != parts({"type": "yaml.YAMLDataset"})
    secret = {"type": "json.JSONDataset", "credentials": {"token": "a"}}
    assert parts(secret) == parts({**secret, "credentials": {"token": "b"}})


def test_config_parts_of_a_dataset_that_cannot_describe_itself_name_its_type() -> None:
    class Broken(DictDataset):
        def _describe(self) -> dict[str, Any]:
            raise KeyError("url")

    with pytest.raises(DatasetError, match=r"Cannot describe a Broken dataset .* KeyError"):
        Broken({}).config_parts("load")
