"""Typed parameters: dataclass and pydantic annotations validate and build parameters."""

from __future__ import annotations

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node, run
from datamill.errors import RunnerError
from tests.resources import typed_funcs as tf


@pytest.fixture(params=["sequential", "thread", "process"])
def executor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_dataclass_argument_receives_an_instance(executor: str) -> None:
    pipe = Pipeline([node(tf.describe_split, ["rows", "params:split"], "out")])
    catalog = DataCatalog({"rows": MemoryDataset(200)}, parameters={"split": {"test_size": 0.25}})
    assert run(pipe, catalog, executor=executor) == {"out": "Split:50:0"}


def test_nested_dataclasses_are_built_too() -> None:
    pipe = Pipeline([node(tf.describe_training, "params:training", "out")])
    parameters = {"training": {"split": {"test_size": 0.2}, "features": ["a", "b"]}}
    assert run(pipe, DataCatalog(parameters=parameters)) == {"out": "Split:0.2:a,b"}


def test_a_pydantic_argument_is_validated(executor: str) -> None:
    pipe = Pipeline([node(tf.describe_model, {"options": "params:model"}, "out")])
    catalog = DataCatalog(parameters={"model": {"alpha": "0.5", "layers": [2, 3]}})
    assert run(pipe, catalog, executor=executor) == {"out": "ModelOptions:0.5:5"}


def test_invalid_parameters_are_all_reported_before_running() -> None:
    pipe = Pipeline(
        [
            node(tf.describe_model, "params:model", "a", name="fit"),
            node(tf.describe_split, ["rows", "params:split"], "b", name="split"),
        ]
    )
    catalog = DataCatalog(
        {"rows": MemoryDataset(10)},
        parameters={"model": {"alpha": -1, "layers": [1]}, "split": {"test_sise": 0.2}},
    )
    with pytest.raises(RunnerError) as info:
        run(pipe, catalog)
    message = str(info.value)
    assert "2 problems" in message
    assert "Parameter 'params:model' of node 'fit' does not fit ModelOptions" in message
    assert "greater than 0" in message
    assert "Parameter 'params:split' of node 'split' does not fit Split" in message
    assert "unknown field 'test_sise' (fields: test_size, seed)" in message


def test_a_missing_field_is_named() -> None:
    pipe = Pipeline([node(tf.describe_training, "params:training", "out", name="train")])
    catalog = DataCatalog(parameters={"training": {"features": ["a"]}})
    with pytest.raises(RunnerError, match="missing field 'split'"):
        run(pipe, catalog)


def test_a_parameter_that_is_not_a_mapping_is_named() -> None:
    pipe = Pipeline([node(tf.describe_training, "params:training", "out", name="train")])
    with pytest.raises(RunnerError, match="expected a mapping of its fields, got int"):
        run(pipe, DataCatalog(parameters={"training": 3}))


def test_unannotated_and_plain_parameters_pass_through_unchanged() -> None:
    pipe = Pipeline([node(len, "params:items", "n")])
    assert run(pipe, DataCatalog(parameters={"items": {"a": 1}})) == {"n": 1}
