"""Tests for DataCatalog: registering, looking up, and loading or saving datasets by name."""

from __future__ import annotations

import pytest

from datamill.errors import DatamillError, DatasetError, DatasetNotFoundError
from datamill.io import DataCatalog, MemoryDataset
from tests.resources.datasets import FailingDataset


class PathError(DatasetError):
    """A dataset error type with its own required attribute, as a dataset package might add."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


@pytest.fixture
def catalog() -> DataCatalog:
    return DataCatalog(
        {"companies": MemoryDataset([1, 2]), "shuttles": MemoryDataset()},
        parameters={"model": {"alpha": 0.1}},
    )


# -- construction and registration ---------------------------------------------------------


def test_datasets_given_at_construction_are_registered_under_their_names() -> None:
    companies = MemoryDataset([1])
    catalog = DataCatalog({"companies": companies})

    assert catalog.get("companies") is companies
    assert catalog["companies"] is companies
    assert catalog.list() == ["companies"]


def test_an_empty_catalog_has_no_datasets_and_no_parameters() -> None:
    catalog = DataCatalog()

    assert catalog.list() == []
    assert len(catalog) == 0
    assert catalog.parameters == {}


def test_a_non_dataset_given_at_construction_is_refused_naming_the_entry() -> None:
    with pytest.raises(DatasetError) as exc:
        DataCatalog({"raw": [1, 2, 3]})  # type: ignore[dict-item]

    assert exc.value.dataset_name == "raw"
    assert str(exc.value) == (
        "Catalog entry 'raw' must be a dataset (an AbstractDataset), got list; "
        "wrap plain data in MemoryDataset(data)."
    )


def test_add_registers_a_new_dataset(catalog: DataCatalog) -> None:
    dataset = MemoryDataset()
    catalog.add("planes", dataset)

    assert catalog["planes"] is dataset
    assert "planes" in catalog.list()


def test_add_refuses_a_taken_name_and_suggests_replace(catalog: DataCatalog) -> None:
    original = catalog["companies"]

    with pytest.raises(DatasetError) as exc:
        catalog.add("companies", MemoryDataset())
    assert exc.value.dataset_name == "companies"
    assert "'companies' is already in the catalog" in str(exc.value)
    assert "replace=True" in str(exc.value)
    assert catalog["companies"] is original


def test_add_with_replace_swaps_the_dataset(catalog: DataCatalog) -> None:
    replacement = MemoryDataset([9])
    catalog.add("companies", replacement, replace=True)

    assert catalog["companies"] is replacement
    assert catalog.load("companies") == [9]


def test_add_with_replace_also_accepts_a_new_name(catalog: DataCatalog) -> None:
    catalog.add("planes", MemoryDataset([1]), replace=True)

    assert catalog.load("planes") == [1]


def test_add_refuses_a_non_dataset_naming_the_entry_and_its_type(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetError) as exc:
        catalog.add("planes", {"a": 1})  # type: ignore[arg-type]

    assert exc.value.dataset_name == "planes"
    assert "'planes'" in str(exc.value)
    assert "got dict" in str(exc.value)
    assert "planes" not in catalog


def test_a_refused_non_dataset_does_not_replace_the_existing_one(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetError):
        catalog.add("companies", "not a dataset", replace=True)  # type: ignore[arg-type]

    assert catalog.load("companies") == [1, 2]


# -- lookup --------------------------------------------------------------------------------


def test_get_returns_none_for_an_unknown_name(catalog: DataCatalog) -> None:
    assert catalog.get("planes") is None


def test_getitem_of_an_unknown_name_suggests_the_closest(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetNotFoundError) as exc:
        catalog["compnies"]

    assert exc.value.dataset_name == "compnies"
    assert str(exc.value) == (
        "Dataset 'compnies' is not in the catalog. Did you mean 'companies'? "
        "Declare it in the catalog, or check the spelling."
    )


def test_getitem_suggests_every_close_name() -> None:
    catalog = DataCatalog({"model_a": MemoryDataset(), "model_b": MemoryDataset()})

    with pytest.raises(DatasetNotFoundError) as exc:
        catalog["model_c"]

    assert "Did you mean 'model_b' or 'model_a'?" in str(exc.value)


def test_getitem_of_a_name_like_nothing_makes_no_suggestion(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetNotFoundError) as exc:
        catalog["zzz"]

    assert "Did you mean" not in str(exc.value)
    assert str(exc.value).startswith("Dataset 'zzz' is not in the catalog. Declare it")


def test_dataset_not_found_is_a_dataset_error_and_a_datamill_error() -> None:
    assert issubclass(DatasetNotFoundError, DatasetError)
    assert issubclass(DatasetNotFoundError, DatamillError)


def test_contains_knows_declared_names_and_parameters(catalog: DataCatalog) -> None:
    assert "companies" in catalog
    assert "parameters" in catalog
    assert "params:model" in catalog
    assert "params:model.alpha" in catalog
    assert "planes" not in catalog
    assert "params:model.beta" not in catalog


@pytest.mark.parametrize("name", [None, 1, ("companies",), b"companies"])
def test_contains_is_false_for_non_strings(catalog: DataCatalog, name: object) -> None:
    assert name not in catalog


def test_iter_and_len_cover_the_declared_datasets(catalog: DataCatalog) -> None:
    assert sorted(catalog) == ["companies", "shuttles"]
    assert len(catalog) == 2


def test_list_is_sorted() -> None:
    catalog = DataCatalog({"b": MemoryDataset(), "c": MemoryDataset(), "a": MemoryDataset()})

    assert catalog.list() == ["a", "b", "c"]


def test_repr_counts_datasets_and_parameters(catalog: DataCatalog) -> None:
    assert repr(catalog) == "DataCatalog(2 datasets, 1 parameters)"


# -- ensure --------------------------------------------------------------------------------


def test_ensure_creates_an_empty_memory_dataset_for_an_undeclared_name(
    catalog: DataCatalog,
) -> None:
    dataset = catalog.ensure("intermediate")

    assert isinstance(dataset, MemoryDataset)
    assert dataset.exists() is False
    assert catalog["intermediate"] is dataset
    assert "intermediate" in catalog.list()


def test_ensure_returns_the_same_dataset_each_time(catalog: DataCatalog) -> None:
    assert catalog.ensure("intermediate") is catalog.ensure("intermediate")


def test_ensure_returns_a_declared_dataset_unchanged(catalog: DataCatalog) -> None:
    declared = catalog["companies"]

    assert catalog.ensure("companies") is declared


def test_ensure_of_a_parameter_serves_its_value(catalog: DataCatalog) -> None:
    assert catalog.ensure("params:model.alpha").load() == 0.1


# -- describe ------------------------------------------------------------------------------


def test_describe_gives_each_dataset_type_and_configuration_sorted_by_name() -> None:
    catalog = DataCatalog(
        {"b": MemoryDataset([1], copy_mode="copy"), "a": FailingDataset(OSError())}
    )

    described = catalog.describe()
    assert list(described) == ["a", "b"]
    assert described == {
        "a": {"type": "FailingDataset", "path": "broken.bin"},
        "b": {"type": "MemoryDataset", "data": "list", "copy_mode": "copy"},
    }


def test_describe_reveals_no_data() -> None:
    catalog = DataCatalog({"secret": MemoryDataset({"password": "hunter2"})})

    assert "hunter2" not in repr(catalog.describe())


# -- load and save by name -----------------------------------------------------------------


def test_load_by_name(catalog: DataCatalog) -> None:
    assert catalog.load("companies") == [1, 2]


def test_load_of_an_unknown_name_raises_not_found_with_a_suggestion(
    catalog: DataCatalog,
) -> None:
    with pytest.raises(DatasetNotFoundError, match="Did you mean 'shuttles'") as exc:
        catalog.load("shutles")

    assert exc.value.dataset_name == "shutles"


def test_load_of_an_empty_dataset_names_it(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetError) as exc:
        catalog.load("shuttles")

    assert exc.value.dataset_name == "shuttles"
    assert str(exc.value).startswith("Dataset 'shuttles': MemoryDataset(")
    assert "holds no data" in str(exc.value)


def test_load_failure_names_the_dataset_and_keeps_the_cause() -> None:
    error = OSError("permission denied")
    catalog = DataCatalog({"raw": FailingDataset(error)})

    with pytest.raises(DatasetError) as exc:
        catalog.load("raw")
    assert exc.value.dataset_name == "raw"
    assert str(exc.value) == (
        "Dataset 'raw': Failed to load FailingDataset(path='broken.bin'): "
        "OSError: permission denied"
    )
    assert exc.value.__cause__ is error


def test_load_failure_keeps_the_error_type() -> None:
    catalog = DataCatalog({"lookup": FailingDataset(DatasetNotFoundError("no such table"))})

    with pytest.raises(DatasetNotFoundError) as exc:
        catalog.load("lookup")
    assert exc.value.dataset_name == "lookup"
    assert str(exc.value) == "Dataset 'lookup': no such table"


def test_load_failure_already_naming_a_dataset_keeps_that_name() -> None:
    named = DatasetError("inner failure", dataset_name="inner")
    catalog = DataCatalog({"outer": FailingDataset(named)})

    with pytest.raises(DatasetError) as exc:
        catalog.load("outer")
    assert exc.value is named
    assert exc.value.dataset_name == "inner"


def test_load_failure_already_naming_a_dataset_is_not_its_own_cause() -> None:
    named = DatasetError("inner failure", dataset_name="inner")
    catalog = DataCatalog({"outer": FailingDataset(named)})

    with pytest.raises(DatasetError) as exc:
        catalog.load("outer")
    assert exc.value.__cause__ is not exc.value


def test_load_failure_of_a_dataset_error_subclass_keeps_its_attributes() -> None:
    catalog = DataCatalog({"raw": FailingDataset(PathError("file vanished", path="raw.csv"))})

    with pytest.raises(PathError) as exc:
        catalog.load("raw")
    assert exc.value.dataset_name == "raw"
    assert exc.value.path == "raw.csv"


def test_save_by_name_to_a_declared_dataset(catalog: DataCatalog) -> None:
    declared = catalog["shuttles"]
    catalog.save("shuttles", [3])

    assert declared.load() == [3]


def test_save_to_an_undeclared_name_creates_a_memory_dataset(catalog: DataCatalog) -> None:
    catalog.save("model_input", {"rows": 3})

    assert isinstance(catalog["model_input"], MemoryDataset)
    assert catalog.load("model_input") == {"rows": 3}


def test_saving_none_by_name_names_the_dataset(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetError) as exc:
        catalog.save("shuttles", None)

    assert exc.value.dataset_name == "shuttles"
    assert str(exc.value).startswith("Dataset 'shuttles': Cannot save None")


def test_save_failure_names_the_dataset() -> None:
    catalog = DataCatalog({"out": FailingDataset(OSError("disk full"))})

    with pytest.raises(DatasetError) as exc:
        catalog.save("out", [1])
    assert exc.value.dataset_name == "out"
    assert str(exc.value).startswith("Dataset 'out': Failed to save to FailingDataset(")
    assert str(exc.value).endswith("OSError: disk full")


# -- exists and release by name -------------------------------------------------------------


def test_exists_by_name(catalog: DataCatalog) -> None:
    assert catalog.exists("companies") is True
    assert catalog.exists("shuttles") is False


def test_exists_of_an_undeclared_name_is_false(catalog: DataCatalog) -> None:
    assert catalog.exists("planes") is False
    assert "planes" not in catalog


def test_exists_of_a_parameter_is_true(catalog: DataCatalog) -> None:
    assert catalog.exists("params:model.alpha") is True
    assert catalog.exists("params:model.beta") is False


def test_release_by_name_drops_memory_data(catalog: DataCatalog) -> None:
    catalog.release("companies")

    assert catalog.exists("companies") is False
    assert "companies" in catalog


def test_release_of_an_undeclared_name_does_nothing(catalog: DataCatalog) -> None:
    catalog.release("planes")

    assert "planes" not in catalog


def test_exists_failure_names_the_dataset() -> None:
    catalog = DataCatalog({"remote": FailingDataset(OSError("no network"))})

    with pytest.raises(DatasetError) as exc:
        catalog.exists("remote")
    assert exc.value.dataset_name == "remote"
    assert str(exc.value).startswith("Dataset 'remote': ")


def test_release_failure_names_the_dataset() -> None:
    catalog = DataCatalog({"remote": FailingDataset(OSError("no network"))})

    with pytest.raises(DatasetError) as exc:
        catalog.release("remote")
    assert exc.value.dataset_name == "remote"


def test_shallow_copy_shares_datasets_but_not_registrations() -> None:
    raw = MemoryDataset([1])
    catalog = DataCatalog({"raw": raw}, parameters={"k": 1})
    copy = catalog.shallow_copy()
    copy.ensure("scratch")
    assert copy["raw"] is raw
    assert copy.load("params:k") == 1
    assert "scratch" in copy
    assert "scratch" not in catalog
