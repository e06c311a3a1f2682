"""Tests for parameters served by the catalog as ``parameters`` and ``params:<dotted key>``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datamill.errors import DatasetError, DatasetNotFoundError
from datamill.io import DataCatalog, MemoryDataset

PARAMETERS = {
    "model": {"alpha": 0.1, "layers": {"depth": 3}},
    "seed": 42,
    "learning.rate": 0.01,
    "paths": {"raw.data": "data/01_raw", "outputs": None},
}


@pytest.fixture
def catalog() -> DataCatalog:
    return DataCatalog(parameters=PARAMETERS)


# -- examples ------------------------------------------------------------------------------


def test_parameters_property_holds_the_given_parameters(catalog: DataCatalog) -> None:
    assert catalog.parameters == PARAMETERS


def test_the_parameters_mapping_is_a_copy_of_the_given_one() -> None:
    given_params: dict[str, Any] = {"a": 1}
    catalog = DataCatalog(parameters=given_params)
    given_params["b"] = 2

    assert "params:b" not in catalog
    assert catalog.parameters == {"a": 1}


def test_parameters_name_serves_every_parameter(catalog: DataCatalog) -> None:
    assert catalog.load("parameters") == PARAMETERS


def test_parameters_name_serves_an_empty_mapping_without_parameters() -> None:
    assert DataCatalog().load("parameters") == {}


def test_a_top_level_parameter(catalog: DataCatalog) -> None:
    assert catalog.load("params:seed") == 42


def test_a_nested_parameter_by_dotted_path(catalog: DataCatalog) -> None:
    assert catalog.load("params:model.alpha") == 0.1
    assert catalog.load("params:model.layers.depth") == 3


def test_an_intermediate_path_serves_the_sub_mapping(catalog: DataCatalog) -> None:
    assert catalog.load("params:model") == {"alpha": 0.1, "layers": {"depth": 3}}
    assert catalog.load("params:model.layers") == {"depth": 3}


def test_a_top_level_key_containing_dots(catalog: DataCatalog) -> None:
    assert catalog.load("params:learning.rate") == 0.01


def test_a_nested_key_containing_dots(catalog: DataCatalog) -> None:
    assert catalog.load("params:paths.raw.data") == "data/01_raw"


def test_a_dotted_key_leading_to_a_nested_mapping() -> None:
    catalog = DataCatalog(parameters={"a.b": {"c": 1}})

    assert catalog.load("params:a.b.c") == 1


def test_an_exact_dotted_key_wins_over_a_nested_path() -> None:
    catalog = DataCatalog(parameters={"a": {"b": "nested"}, "a.b": "flat"})

    assert catalog.load("params:a.b") == "flat"


def test_a_nested_path_is_found_when_a_dotted_prefix_does_not_lead_there() -> None:
    catalog = DataCatalog(parameters={"a.b": {"x": 1}, "a": {"b": {"c": 2}}})

    assert catalog.load("params:a.b.c") == 2
    assert catalog.load("params:a.b.x") == 1


def test_a_parameter_whose_value_is_null_loads_none(catalog: DataCatalog) -> None:
    assert "params:paths.outputs" in catalog
    assert catalog.load("params:paths.outputs") is None


@pytest.mark.parametrize(
    "name",
    [
        "params:missing",
        "params:model.beta",
        "params:seed.value",  # a path through a value that is not a mapping
        "params:model.layers.depth.more",
        "params:",
        "params:.model",
        "params:model.",
        "param:seed",
        "parameter",
    ],
)
def test_a_missing_parameter_is_not_in_the_catalog(catalog: DataCatalog, name: str) -> None:
    assert name not in catalog
    assert catalog.get(name) is None
    assert catalog.exists(name) is False
    with pytest.raises(DatasetNotFoundError) as exc:
        catalog.load(name)
    assert exc.value.dataset_name == name


def test_a_declared_dataset_wins_over_a_parameter_of_the_same_name() -> None:
    declared = MemoryDataset("declared")
    catalog = DataCatalog({"params:seed": declared}, parameters={"seed": 1})

    assert catalog["params:seed"] is declared
    assert catalog.load("params:seed") == "declared"


def test_a_parameter_is_served_by_a_memory_dataset(catalog: DataCatalog) -> None:
    dataset = catalog["params:model.alpha"]

    assert isinstance(dataset, MemoryDataset)
    assert dataset.load() == 0.1


def test_a_mapping_parameter_is_served_without_copy(catalog: DataCatalog) -> None:
    assert catalog.load("params:model") is PARAMETERS["model"]


def test_looking_up_a_parameter_does_not_register_a_dataset(catalog: DataCatalog) -> None:
    catalog.load("params:seed")

    assert catalog.list() == []
    assert len(catalog) == 0


def test_a_released_parameter_can_still_be_loaded(catalog: DataCatalog) -> None:
    catalog.load("params:seed")
    catalog.release("params:seed")

    assert catalog.load("params:seed") == 42


def test_a_misspelt_parameter_suggests_the_closest_key(catalog: DataCatalog) -> None:
    with pytest.raises(DatasetNotFoundError) as exc:
        catalog.load("params:model.alpah")

    assert "Did you mean 'params:model.alpha'" in str(exc.value)


# -- properties ----------------------------------------------------------------------------

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,4}", fullmatch=True)
leaves = st.one_of(
    st.integers(), st.text(max_size=4), st.booleans(), st.none(), st.lists(st.integers())
)


def trees(keys: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Nested parameter mappings whose keys are drawn from ``keys``."""
    values = st.recursive(
        leaves, lambda children: st.dictionaries(keys, children, max_size=3), max_leaves=12
    )
    return st.dictionaries(keys, values, max_size=4)


def walk(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) in ``tree``: leaves and intermediate mappings alike."""
    for key, value in tree.items():
        here = (*path, key)
        yield ".".join(here), value
        if isinstance(value, Mapping):
            yield from walk(value, here)


@given(trees(identifiers))
def test_every_dotted_path_serves_its_value(params: dict[str, Any]) -> None:
    catalog = DataCatalog(parameters=params)

    for path, value in walk(params):
        assert f"params:{path}" in catalog
        assert catalog.load(f"params:{path}") == value


@given(trees(identifiers))
def test_every_intermediate_path_serves_the_sub_mapping_itself(params: dict[str, Any]) -> None:
    catalog = DataCatalog(parameters=params)

    for path, value in walk(params):
        if isinstance(value, Mapping):
            assert catalog.load(f"params:{path}") is value


@given(trees(identifiers), identifiers)
def test_a_key_below_any_path_that_lacks_it_is_not_in_the_catalog(
    params: dict[str, Any], extra: str
) -> None:
    catalog = DataCatalog(parameters=params)

    if extra not in params:
        assert f"params:{extra}" not in catalog
    for path, value in walk(params):
        if not (isinstance(value, Mapping) and extra in value):
            assert f"params:{path}.{extra}" not in catalog


@given(trees(identifiers))
def test_parameters_serves_the_whole_tree(params: dict[str, Any]) -> None:
    assert DataCatalog(parameters=params).load("parameters") == params


@given(trees(st.text(alphabet="ab.", max_size=3)))
def test_with_dotted_keys_every_path_serves_a_value_spelt_that_way(
    params: dict[str, Any],
) -> None:
    # With dots inside keys, two paths can be spelt the same ("a.b" and "a" -> "b"); the
    # catalog must then serve the value of one of them, and never anything else.
    spelt: defaultdict[str, list[Any]] = defaultdict(list)
    for path, value in walk(params):
        spelt[path].append(value)
    catalog = DataCatalog(parameters=params)

    for path, candidates in spelt.items():
        assert any(catalog.load(f"params:{path}") is c for c in candidates)


def test_parameters_are_read_only() -> None:
    catalog = DataCatalog(parameters={"model": {"alpha": 1}})
    with pytest.raises(DatasetError, match=r"Cannot save to 'params:model\.alpha'") as exc:
        catalog.save("params:model.alpha", 2)
    assert exc.value.dataset_name == "params:model.alpha"
    assert catalog.load("params:model.alpha") == 1
