"""Tests for DataCatalog.from_config: checked entries, lazy datasets, credentials, versions."""

from __future__ import annotations

import importlib
import pickle
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from datamill import Pipeline, node, run
from datamill.errors import DatasetError, DatasetNotFoundError, RunnerError
from datamill.io import AbstractDataset, DataCatalog, MemoryDataset


class RecordingDataset(AbstractDataset[Any, Any]):
    """Keeps the arguments it was created with; every instance is recorded in ``created``."""

    created: ClassVar[list[RecordingDataset]] = []

    def __init__(
        self,
        filepath: str,
        *,
        data: Any = None,
        load_args: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Any] | None = None,
        versioned: bool = False,
        load_version: str | None = None,
        save_version: str | None = None,
    ) -> None:
        self.filepath = filepath
        self.data = data
        self.load_args = load_args
        self.credentials = credentials
        self.versioned = versioned
        self.load_version = load_version
        self.save_version = save_version
        RecordingDataset.created.append(self)

    def _load(self) -> Any:
        if self.data is None:
            raise DatasetError(f"nothing at {self.filepath}")
        return self.data

    def _save(self, data: Any) -> None:
        self.data = data

    def _exists(self) -> bool:
        return self.data is not None

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self.filepath}


class TakesAnything(AbstractDataset[Any, Any]):
    """Accepts any keyword argument."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def _load(self) -> Any:
        return self.kwargs

    def _save(self, data: Any) -> None:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {}


class Exploding(AbstractDataset[Any, Any]):
    """Fails to be created."""

    def __init__(self, filepath: str) -> None:
        raise ValueError(f"cannot open {filepath}")

    def _load(self) -> Any:
        raise NotImplementedError

    def _save(self, data: Any) -> None:
        raise NotImplementedError

    def _describe(self) -> dict[str, Any]:
        return {}


RECORDING = f"{__name__}.RecordingDataset"
ANYTHING = f"{__name__}.TakesAnything"
EXPLODING = f"{__name__}.Exploding"


@pytest.fixture(autouse=True)
def _forget_recorded() -> Iterator[None]:
    RecordingDataset.created.clear()
    yield
    RecordingDataset.created.clear()


def entry(filepath: str = "data/x.csv", **more: Any) -> dict[str, Any]:
    return {"type": RECORDING, "filepath": filepath, **more}


def config_error(config: Any, **kwargs: Any) -> DatasetError:
    with pytest.raises(DatasetError) as exc:
        DataCatalog.from_config(config, **kwargs)
    return exc.value


# -- building and lazy creation ------------------------------------------------------------


def test_entries_become_datasets_with_their_arguments() -> None:
    catalog = DataCatalog.from_config(
        {"companies": entry("data/01_raw/companies.csv", load_args={"sep": ","})}
    )
    dataset = catalog["companies"]

    assert isinstance(dataset, RecordingDataset)
    assert dataset.filepath == "data/01_raw/companies.csv"
    assert dataset.load_args == {"sep": ","}


def test_no_dataset_is_created_until_its_name_is_used() -> None:
    catalog = DataCatalog.from_config({"a": entry(), "b": entry(), "c": entry()})

    assert catalog.list() == ["a", "b", "c"]
    assert len(catalog) == 3
    assert "a" in catalog
    assert set(catalog.describe()) == {"a", "b", "c"}
    assert RecordingDataset.created == []

    catalog["a"]
    assert [d.filepath for d in RecordingDataset.created] == ["data/x.csv"]


@pytest.mark.parametrize(
    "use",
    [
        lambda c: c["a"],
        lambda c: c.get("a"),
        lambda c: c.ensure("a"),
        lambda c: c.exists("a"),
        lambda c: c.save("a", [1]),
        lambda c: c.load("a"),
    ],
    ids=["getitem", "get", "ensure", "exists", "save", "load"],
)
def test_any_use_of_a_name_creates_its_dataset_once(use: Any) -> None:
    catalog = DataCatalog.from_config({"a": entry(data=[0])})
    use(catalog)
    use(catalog)

    assert len(RecordingDataset.created) == 1
    assert catalog["a"] is RecordingDataset.created[0]


def test_release_creates_no_dataset() -> None:
    catalog = DataCatalog.from_config({"a": entry()})
    catalog.release("a")

    assert RecordingDataset.created == []


def test_ten_thousand_entries_import_and_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = f"from {__name__} import RecordingDataset as Table\n"
    (tmp_path / "dm_lazy_tables.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    config = {
        f"table_{i}": entry(f"{i}.csv") | {"type": "dm_lazy_tables.Table"} for i in range(10_000)
    }
    try:
        catalog = DataCatalog.from_config(config)
        assert len(catalog) == 10_000
        assert "table_9999" in catalog
        assert "dm_lazy_tables" not in sys.modules
        assert RecordingDataset.created == []

        assert catalog["table_42"].describe() == {"filepath": "42.csv"}
        assert "dm_lazy_tables" in sys.modules
        assert len(RecordingDataset.created) == 1
    finally:
        sys.modules.pop("dm_lazy_tables", None)


def test_each_dataset_gets_its_own_copy_of_the_configured_values() -> None:
    config = {"a": entry(load_args={"sep": ","})}
    first = DataCatalog.from_config(config)["a"]
    second = DataCatalog.from_config(config)["a"]

    assert isinstance(first, RecordingDataset)
    assert isinstance(second, RecordingDataset)
    assert first.load_args is not second.load_args
    assert first.load_args is not config["a"]["load_args"]


def test_changing_the_given_mapping_later_changes_nothing() -> None:
    config: dict[str, Any] = {"a": entry()}
    catalog = DataCatalog.from_config(config)
    config["b"] = entry()
    config["a"]["filepath"] = "elsewhere.csv"

    assert catalog.list() == ["a"]
    assert catalog.describe()["a"]["filepath"] == "data/x.csv"


def test_a_yaml_catalog_with_a_template_and_a_pattern() -> None:
    text = f"""
    _recorded: &recorded
      type: {RECORDING}
      load_args: {{sep: ","}}

    companies:
      <<: *recorded
      filepath: data/01_raw/companies.csv
      credentials: raw_bucket

    "{{name}}_features":
      <<: *recorded
      filepath: data/04_feature/{{name}}.parquet
    """
    catalog = DataCatalog.from_config(yaml.safe_load(textwrap.dedent(text)), CREDENTIALS)

    assert catalog.list() == ["companies"]
    assert catalog.patterns() == ["{name}_features"]
    companies = catalog["companies"]
    assert isinstance(companies, RecordingDataset)
    assert companies.load_args == {"sep": ","}
    assert companies.credentials == CREDENTIALS["raw_bucket"]
    assert catalog.resolve("cars_features")["cars_features"] == {
        "type": RECORDING,
        "load_args": {"sep": ","},
        "filepath": "data/04_feature/cars.parquet",
    }


def test_a_builtin_short_type_name_works() -> None:
    catalog = DataCatalog.from_config({"scratch": {"type": "MemoryDataset", "copy_mode": "copy"}})

    assert catalog["scratch"].describe() == {"data": None, "copy_mode": "copy"}


def test_keys_starting_with_an_underscore_are_private_templates() -> None:
    catalog = DataCatalog.from_config(
        {"_csv": {"type": RECORDING, "broken": True}, "_note": "not even a mapping", "a": entry()}
    )

    assert catalog.list() == ["a"]
    assert "_csv" not in catalog


def test_an_empty_configuration_gives_an_empty_catalog() -> None:
    catalog = DataCatalog.from_config({})

    assert catalog.list() == []
    assert catalog.patterns() == []


def test_parameters_are_served_alongside_configured_datasets() -> None:
    catalog = DataCatalog.from_config({"a": entry()}, parameters={"model": {"alpha": 0.1}})

    assert catalog.load("params:model.alpha") == 0.1
    assert catalog.load("parameters") == {"model": {"alpha": 0.1}}
    assert catalog.parameters == {"model": {"alpha": 0.1}}


def test_a_configured_dataset_wins_over_a_parameter_of_the_same_name() -> None:
    catalog = DataCatalog.from_config(
        {"params:seed": {"type": "MemoryDataset", "data": "declared"}}, parameters={"seed": 1}
    )

    assert catalog.load("params:seed") == "declared"
    catalog.save("params:seed", "saved")
    assert catalog.load("params:seed") == "saved"


def test_saving_to_a_parameter_is_still_refused() -> None:
    catalog = DataCatalog.from_config({"a": entry()}, parameters={"seed": 1})

    with pytest.raises(DatasetError, match="parameters are read-only"):
        catalog.save("params:seed", 2)


def test_repr_counts_declared_datasets() -> None:
    catalog = DataCatalog.from_config({"a": entry(), "b": entry()}, parameters={"k": 1})

    assert repr(catalog) == "DataCatalog(2 datasets, 1 parameters)"


# -- malformed entries ---------------------------------------------------------------------


def test_an_entry_that_is_not_a_mapping_is_refused_naming_it() -> None:
    error = config_error({"companies": "pandas.CSVDataset"})

    assert error.dataset_name == "companies"
    assert str(error) == (
        "Catalog entry 'companies': an entry must be a mapping with a 'type' and the "
        "dataset's arguments, got str."
    )


def test_an_entry_without_type_is_refused_naming_it() -> None:
    error = config_error({"companies": {"filepath": "a.csv"}})

    assert error.dataset_name == "companies"
    assert "Catalog entry 'companies': it has no 'type'" in str(error)


def test_a_misspelt_type_key_is_pointed_out() -> None:
    error = config_error({"companies": {"typ": "MemoryDataset"}})

    assert "(is 'typ' a misspelling of 'type'?)" in str(error)


@pytest.mark.parametrize("bad_type", [3, None, "", ["MemoryDataset"]])
def test_a_type_that_is_not_a_name_is_refused(bad_type: Any) -> None:
    error = config_error({"companies": {"type": bad_type}})

    assert error.dataset_name == "companies"
    assert "'type' must name a dataset type (a string)" in str(error)


def test_a_dataset_name_that_is_not_a_string_is_refused() -> None:
    error = config_error({3: entry()})

    assert str(error) == "Catalog entry '3': a dataset name must be a string, got int."


def test_argument_names_that_are_not_strings_are_refused() -> None:
    error = config_error({"a": {"type": RECORDING, 1: "x"}})

    assert "argument names must be strings, got 1" in str(error)


def test_versioned_must_be_a_boolean() -> None:
    error = config_error({"a": entry(versioned="yes")})

    assert error.dataset_name == "a"
    assert "'versioned' must be true or false, got str" in str(error)


def test_every_problem_is_reported_at_once_naming_each_entry() -> None:
    error = config_error(
        {
            "good": entry(),
            "no_type": {"filepath": "x"},
            "not_mapping": 3,
            "bad_credentials": entry(credentials="missing"),
        }
    )

    message = str(error)
    assert message.startswith("The catalog configuration has 3 problems:\n")
    assert "  - entry 'no_type': it has no 'type'" in message
    assert "  - entry 'not_mapping': an entry must be a mapping" in message
    assert "  - entry 'bad_credentials': its credentials 'missing'" in message
    assert "good" not in message
    assert error.dataset_name is None


def test_a_configuration_that_is_not_a_mapping_is_refused() -> None:
    error = config_error([entry()])

    assert str(error) == (
        "The catalog configuration must be a mapping of dataset names to entries, got list."
    )


# -- types and arguments, checked when the dataset is created -------------------------------


def test_an_unknown_type_fails_on_first_use_naming_the_dataset() -> None:
    catalog = DataCatalog.from_config({"companies": {"type": "pandas.CSVDatset"}})

    with pytest.raises(DatasetError) as exc:
        catalog.load("companies")
    assert exc.value.dataset_name == "companies"
    assert "Dataset 'companies': unknown dataset type 'pandas.CSVDatset'." in str(exc.value)
    assert "Did you mean 'pandas.CSVDataset'" in str(exc.value)


def test_an_unknown_argument_names_the_dataset_the_key_and_the_accepted_keys() -> None:
    catalog = DataCatalog.from_config({"companies": {"type": RECORDING, "filpath": "a.csv"}})

    with pytest.raises(DatasetError) as exc:
        catalog["companies"]
    assert exc.value.dataset_name == "companies"
    assert str(exc.value) == (
        f"Dataset 'companies' (type {RECORDING!r}): unknown argument 'filpath'. Did you mean "
        "'filepath'? The type accepts: filepath, data, load_args, credentials, versioned, "
        "load_version, save_version."
    )


def test_several_unknown_arguments_are_listed() -> None:
    catalog = DataCatalog.from_config({"a": {"type": "MemoryDataset", "x": 1, "y": 2}})

    with pytest.raises(DatasetError, match=r"unknown arguments 'x', 'y'\. .*data, copy_mode"):
        catalog["a"]


def test_versioning_a_type_that_does_not_support_it_says_so() -> None:
    catalog = DataCatalog.from_config({"a": {"type": "MemoryDataset", "versioned": True}})

    with pytest.raises(DatasetError) as exc:
        catalog["a"]
    assert exc.value.dataset_name == "a"
    assert "It does not support versioning: remove 'versioned' from the entry." in str(exc.value)


def test_a_missing_required_argument_is_named() -> None:
    catalog = DataCatalog.from_config({"a": {"type": RECORDING}})

    with pytest.raises(DatasetError) as exc:
        catalog["a"]
    assert exc.value.dataset_name == "a"
    assert "missing required argument 'filepath'; add it to the entry" in str(exc.value)


def test_a_type_taking_any_keyword_gets_every_key() -> None:
    catalog = DataCatalog.from_config({"a": {"type": ANYTHING, "x": 1, "nested": {"y": [2]}}})

    assert catalog.load("a") == {"x": 1, "nested": {"y": [2]}}


def test_a_dataset_error_from_the_constructor_names_the_dataset() -> None:
    catalog = DataCatalog.from_config({"scratch": {"type": "MemoryDataset", "copy_mode": "nope"}})

    with pytest.raises(DatasetError) as exc:
        catalog["scratch"]
    assert exc.value.dataset_name == "scratch"
    assert str(exc.value).startswith("Dataset 'scratch': copy_mode 'nope' is not supported")


def test_another_error_from_the_constructor_becomes_a_dataset_error() -> None:
    catalog = DataCatalog.from_config({"a": {"type": EXPLODING, "filepath": "x.csv"}})

    with pytest.raises(DatasetError) as exc:
        catalog["a"]
    assert exc.value.dataset_name == "a"
    assert str(exc.value) == (
        f"Dataset 'a': creating a {EXPLODING!r} from its entry failed: ValueError: cannot "
        "open x.csv"
    )
    assert isinstance(exc.value.__cause__, ValueError)


def test_a_failed_creation_is_retried_on_the_next_use() -> None:
    catalog = DataCatalog.from_config({"a": {"type": EXPLODING, "filepath": "x.csv"}})

    for _ in range(2):
        with pytest.raises(DatasetError, match="cannot open"):
            catalog["a"]


# -- credentials ---------------------------------------------------------------------------

CREDENTIALS = {"raw_bucket": {"key": "AKIA-ID", "secret": "s3cr3t"}, "db": {"password": "pw"}}


def test_credentials_are_looked_up_and_passed_by_reference() -> None:
    catalog = DataCatalog.from_config({"companies": entry(credentials="raw_bucket")}, CREDENTIALS)
    dataset = catalog["companies"]

    assert isinstance(dataset, RecordingDataset)
    assert dataset.credentials == {"key": "AKIA-ID", "secret": "s3cr3t"}
    assert dataset.credentials is not CREDENTIALS["raw_bucket"]


def test_credentials_in_a_nested_entry_are_looked_up_too() -> None:
    catalog = DataCatalog.from_config(
        {"parts": {"type": ANYTHING, "dataset": {"type": "x", "credentials": "db"}}}, CREDENTIALS
    )

    assert catalog.load("parts") == {"dataset": {"type": "x", "credentials": {"password": "pw"}}}


def test_an_unknown_credentials_reference_is_refused_naming_the_dataset() -> None:
    error = config_error({"companies": entry(credentials="raw_buckt")}, credentials=CREDENTIALS)

    assert error.dataset_name == "companies"
    assert str(error) == (
        "Catalog entry 'companies': its credentials 'raw_buckt' are not in the credentials. "
        "Did you mean 'raw_bucket'? Add 'raw_buckt' to the credentials "
        "(conf/local/credentials.yml) or fix the name."
    )


def test_a_credentials_reference_without_any_credentials_is_refused() -> None:
    error = config_error({"companies": entry(credentials="raw_bucket")})

    assert error.dataset_name == "companies"
    assert "its credentials 'raw_bucket' are not in the credentials" in str(error)


def test_inline_credentials_are_refused_without_showing_them() -> None:
    error = config_error({"companies": entry(credentials={"secret": "s3cr3t"})})

    assert error.dataset_name == "companies"
    assert "'credentials' must name an entry of the credentials (a string), got dict" in str(error)
    assert "s3cr3t" not in str(error)


def test_null_credentials_are_passed_as_none() -> None:
    catalog = DataCatalog.from_config({"a": entry(credentials=None)})
    dataset = catalog["a"]

    assert isinstance(dataset, RecordingDataset)
    assert dataset.credentials is None


# -- versions ------------------------------------------------------------------------------


def test_a_versioned_entry_receives_its_load_version_and_the_run_save_version() -> None:
    catalog = DataCatalog.from_config(
        {"model": entry(versioned=True)},
        load_versions={"model": "2026-01-01T00.00.00.000000Z"},
        save_version="2026-11-22T10.00.00.000000Z",
    )
    dataset = catalog["model"]

    assert isinstance(dataset, RecordingDataset)
    assert dataset.versioned is True
    assert dataset.load_version == "2026-01-01T00.00.00.000000Z"
    assert dataset.save_version == "2026-11-22T10.00.00.000000Z"


def test_version_arguments_are_passed_only_when_there_is_a_version() -> None:
    catalog = DataCatalog.from_config({"model": {"type": ANYTHING, "versioned": True}})

    assert catalog.load("model") == {"versioned": True}


def test_an_entry_that_is_not_versioned_receives_no_version() -> None:
    catalog = DataCatalog.from_config(
        {"plain": {"type": ANYTHING}, "off": {"type": ANYTHING, "versioned": False}},
        save_version="2026-11-22T10.00.00.000000Z",
    )

    assert catalog.load("plain") == {}
    assert catalog.load("off") == {"versioned": False}


def test_a_load_version_for_an_unknown_dataset_is_refused() -> None:
    error = config_error({"model": entry(versioned=True)}, load_versions={"modle": "v1"})

    assert error.dataset_name == "modle"
    assert str(error) == (
        "Catalog entry 'modle': a load version is given, but the catalog has no such "
        "dataset. Did you mean 'model'?."
    )


def test_a_load_version_for_a_dataset_that_is_not_versioned_is_refused() -> None:
    error = config_error({"model": entry()}, load_versions={"model": "v1"})

    assert error.dataset_name == "model"
    assert "the entry is not versioned: true" in str(error)


# -- lookups -------------------------------------------------------------------------------


def test_a_misspelt_name_suggests_configured_names_and_parameters() -> None:
    catalog = DataCatalog.from_config({"companies": entry()}, parameters={"compnay": 1})

    with pytest.raises(DatasetNotFoundError) as exc:
        catalog["compnies"]
    assert exc.value.dataset_name == "compnies"
    assert "Did you mean 'companies'?" in str(exc.value)

    with pytest.raises(DatasetNotFoundError, match="Did you mean 'params:compnay'"):
        catalog["params:company"]


def test_a_configured_name_cannot_be_added_over_without_replace() -> None:
    catalog = DataCatalog.from_config({"a": entry()})

    with pytest.raises(DatasetError, match="'a' is already in the catalog"):
        catalog.add("a", MemoryDataset())


def test_adding_with_replace_overrides_the_configured_entry() -> None:
    catalog = DataCatalog.from_config({"a": entry()})
    replacement = MemoryDataset([1])
    catalog.add("a", replacement, replace=True)

    assert catalog["a"] is replacement
    assert catalog.list() == ["a"]
    assert len(catalog) == 1
    assert catalog.describe() == {
        "a": {"type": "MemoryDataset", "data": "list", "copy_mode": "assign"}
    }
    assert RecordingDataset.created == []


def test_iterating_lists_registered_then_configured_names_once() -> None:
    catalog = DataCatalog.from_config({"b": entry(), "a": entry()})
    catalog.add("c", MemoryDataset())
    catalog.add("a", MemoryDataset(), replace=True)

    assert sorted(catalog) == ["a", "b", "c"]
    assert len(catalog) == 3


# -- describe never shows secrets ----------------------------------------------------------


def test_describe_shows_the_configuration_with_credentials_masked() -> None:
    catalog = DataCatalog.from_config(
        {
            "companies": entry(credentials="raw_bucket", load_args={"sep": ","}),
            "orders": {
                "type": ANYTHING,
                "con": "postgresql://scott:tiger@db.example.com:5432/sales",
                "url": "https://host/table?sig=abc123&format=csv",
                "fs_args": {"api_key": "k-123", "token": "t-456", "client": "ok"},
                "password": "hunter2",
            },
        },
        CREDENTIALS,
    )

    described = catalog.describe()
    assert described["companies"] == {
        "type": RECORDING,
        "filepath": "data/x.csv",
        "credentials": "***",
        "load_args": {"sep": ","},
    }
    assert described["orders"] == {
        "type": ANYTHING,
        "con": "postgresql://scott:***@db.example.com:5432/sales",
        "url": "https://host/table?sig=***&format=csv",
        "fs_args": {"api_key": "***", "token": "***", "client": "ok"},
        "password": "***",
    }
    shown = repr(described)
    for secret in ("AKIA-ID", "s3cr3t", "tiger", "abc123", "k-123", "t-456", "hunter2"):
        assert secret not in shown
    assert RecordingDataset.created == []


def test_describe_shows_the_configuration_even_after_creation() -> None:
    catalog = DataCatalog.from_config({"a": entry(credentials="db")}, CREDENTIALS)
    before = catalog.describe()
    catalog["a"]

    assert catalog.describe() == before
    assert "pw" not in repr(before)


# -- copies --------------------------------------------------------------------------------


def test_copies_share_the_datasets_created_from_configuration() -> None:
    catalog = DataCatalog.from_config({"early": entry(), "late": entry()})
    early = catalog["early"]
    copy = catalog.shallow_copy()

    assert copy["early"] is early
    late = copy["late"]
    assert catalog["late"] is late
    assert len(RecordingDataset.created) == 2


def test_a_configured_memory_dataset_keeps_what_a_copy_saved() -> None:
    catalog = DataCatalog.from_config({"scratch": {"type": "MemoryDataset"}})
    catalog.shallow_copy().save("scratch", [1, 2])

    assert catalog.load("scratch") == [1, 2]


def test_what_a_copy_registers_stays_private_to_it() -> None:
    catalog = DataCatalog.from_config({"a": entry()})
    copy = catalog.shallow_copy()
    copy.ensure("intermediate")
    copy.add("a", MemoryDataset(), replace=True)

    assert "intermediate" not in catalog
    assert isinstance(catalog["a"], RecordingDataset)
    assert copy.list() == ["a", "intermediate"]


def test_copies_share_parameters_and_configuration() -> None:
    catalog = DataCatalog.from_config({"a": entry()}, parameters={"k": 1})
    copy = catalog.shallow_copy()

    assert copy.list() == ["a"]
    assert copy.load("params:k") == 1
    assert copy.describe() == catalog.describe()


def test_a_configured_catalog_pickles_with_its_configuration_and_datasets() -> None:
    catalog = DataCatalog.from_config(
        {"scratch": {"type": "MemoryDataset"}, "{name}_copy": {"type": "MemoryDataset"}},
        parameters={"k": 1},
    )
    catalog.save("scratch", [1])
    restored = pickle.loads(pickle.dumps(catalog))

    assert restored.list() == ["scratch"]
    assert restored.patterns() == ["{name}_copy"]
    assert restored.load("scratch") == [1]
    assert restored.load("params:k") == 1
    restored.save("x_copy", 2)
    assert restored.shallow_copy().load("x_copy") == 2


# -- in a run ------------------------------------------------------------------------------


def total(numbers: list[int]) -> int:
    return sum(numbers)


def double(value: int) -> int:
    return 2 * value


def test_a_run_uses_configured_datasets_and_leaves_them_in_the_callers_catalog() -> None:
    catalog = DataCatalog.from_config(
        {"numbers": entry("numbers.csv", data=[1, 2, 3]), "report": {"type": "MemoryDataset"}}
    )
    pipeline = Pipeline([node(total, "numbers", "sum"), node(double, "sum", "report")])

    assert run(pipeline, catalog) == {}
    assert catalog.load("report") == 12
    assert "sum" not in catalog


def test_a_run_reports_a_missing_configured_input_before_running() -> None:
    catalog = DataCatalog.from_config({"numbers": {"type": "MemoryDataset"}})

    with pytest.raises(RunnerError, match="input 'numbers' is a MemoryDataset with no data"):
        run(Pipeline([node(total, "numbers", "sum")]), catalog)


def test_a_run_names_the_dataset_whose_type_is_unknown() -> None:
    catalog = DataCatalog.from_config({"numbers": {"type": "pandas.CSVDatset"}})

    with pytest.raises(DatasetError) as exc:
        run(Pipeline([node(total, "numbers", "sum")]), catalog)
    assert exc.value.dataset_name == "numbers"


def test_arguments_passed_on_to_a_base_class_are_checked_too() -> None:
    # PickleDataset.__init__ takes **kwargs and hands them to FileDataset.
    catalog = DataCatalog.from_config(
        {"model": {"type": "pickle.PickleDataset", "filepth": "m.pkl"}}
    )
    with pytest.raises(DatasetError, match="unknown argument 'filepth'") as exc:
        catalog["model"]
    message = str(exc.value)
    assert "Did you mean 'filepath'?" in message
    assert "backend" in message  # the subclass's own arguments are listed too
