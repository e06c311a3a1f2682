"""Tests for nodes: construction, signature checks, names, tags, identity and helpers."""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from datamill.errors import DatamillError, PipelineError
from datamill.pipeline import (
    PARAMETERS,
    PARAMS_PREFIX,
    Node,
    Pipeline,
    Retry,
    is_parameter,
    node,
)
from tests.resources import funcs

REPO_ROOT = Path(__file__).resolve().parents[2]


def _problems(exc: pytest.ExceptionInfo[PipelineError]) -> str:
    return " ".join(exc.value.problems)


# -- inputs and outputs ------------------------------------------------------------------


def test_no_inputs_gives_an_empty_tuple() -> None:
    n = node(funcs.no_arguments, None, "one")

    assert n.inputs == ()
    assert n.input_keywords is None


def test_single_input_name_is_positional() -> None:
    n = node(funcs.identity, "raw", "clean")

    assert n.inputs == ("raw",)
    assert n.input_keywords is None


def test_list_inputs_keep_their_order_and_are_positional() -> None:
    n = node(funcs.positional_only, ["b", "a"], "diff")

    assert n.inputs == ("b", "a")
    assert n.input_keywords is None


def test_tuple_inputs_are_accepted_like_a_list() -> None:
    assert node(funcs.add, ("a", "b"), "c").inputs == ("a", "b")


def test_dict_inputs_bind_by_keyword() -> None:
    n = node(funcs.add, {"y": "right", "x": "left"}, "sum")

    assert n.inputs == ("right", "left")
    assert n.input_keywords == ("y", "x")


def test_the_same_dataset_may_feed_two_arguments() -> None:
    n = node(funcs.add, ["a", "a"], "double")

    assert n.inputs == ("a", "a")


def test_no_outputs() -> None:
    n = node(funcs.sink, "x", None)

    assert n.outputs == ()
    assert n.output_style == "none"
    assert n.output_keys is None


def test_single_output_name() -> None:
    n = node(funcs.identity, "x", "y")

    assert n.outputs == ("y",)
    assert n.output_style == "single"


def test_list_outputs_are_a_sequence() -> None:
    n = node(funcs.split, "all", ["first_half", "second_half"])

    assert n.outputs == ("first_half", "second_half")
    assert n.output_style == "sequence"
    assert n.output_keys is None


def test_dict_outputs_map_returned_keys_to_datasets() -> None:
    n = node(funcs.as_mapping, "x", {"triple": "x3", "double": "x2"})

    assert n.outputs == ("x3", "x2")
    assert n.output_style == "mapping"
    assert n.output_keys == ("triple", "double")


# -- parameters ----------------------------------------------------------------------------


def test_parameter_constants() -> None:
    assert PARAMS_PREFIX == "params:"
    assert PARAMETERS == "parameters"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("params:alpha", True),
        ("params:model.alpha", True),
        ("parameters", True),
        ("params", False),
        ("parameters_2", False),
        ("my_params:alpha", False),
        ("alpha", False),
    ],
)
def test_is_parameter(name: str, expected: bool) -> None:
    assert is_parameter(name) is expected


def test_node_parameters_lists_parameter_inputs_in_order() -> None:
    n = node(funcs.combine, ["data", "params:b.c", "parameters", "params:a"], "out")

    assert n.parameters == ("params:b.c", "parameters", "params:a")


def test_parameters_can_be_bound_by_keyword() -> None:
    n = node(funcs.keyword_only, {"x": "data", "scale": "params:model.scale"}, "scaled")

    assert n.parameters == ("params:model.scale",)


# -- signature checks ----------------------------------------------------------------------


def _negate(x: float) -> float:
    return -x


VALID_BINDINGS: list[tuple[str, Callable[..., Any], Any]] = [
    ("one positional", funcs.identity, "x"),
    ("two positional", funcs.add, ["x", "y"]),
    ("keywords", funcs.add, {"x": "a", "y": "b"}),
    ("default left out", funcs.with_default, "x"),
    ("default given", funcs.with_default, ["x", "y"]),
    ("default left out by keyword", funcs.with_default, {"x": "a"}),
    ("default given by keyword", funcs.with_default, {"y": "b", "x": "a"}),
    ("var args, none", funcs.combine, None),
    ("var args, many", funcs.combine, ["a", "b", "c", "d"]),
    ("keyword-only by keyword", funcs.keyword_only, {"x": "a", "scale": "params:s"}),
    ("keyword-only default left out", funcs.keyword_only_default, "x"),
    ("keyword-only default given", funcs.keyword_only_default, {"x": "a", "scale": "b"}),
    ("positional-only by position", funcs.positional_only, ["a", "b"]),
    ("var kwargs take any keyword", funcs.with_var_kwargs, {"x": "a", "anything": "b"}),
    ("no arguments", funcs.no_arguments, None),
    ("bound method skips self", funcs.Scaler(2.0).scale, "x"),
    ("bound method by keyword", funcs.Scaler(2.0).scale_two, {"x": "a", "y": "b"}),
    ("classmethod skips cls", funcs.Scaler.build, "params:factor"),
    ("staticmethod", funcs.Scaler.negate, "x"),
    ("callable object", funcs.Multiply(3), "x"),
    ("callable object by keyword", funcs.Multiply(3), {"x": "a"}),
    ("partial, positional bound", functools.partial(funcs.add, 1), "y"),
    ("partial, keyword bound", functools.partial(funcs.add, y=1), {"x": "a"}),
    ("builtin with a signature", len, "x"),
    ("builtin without a signature", max, ["a", "b", "c"]),
    ("builtin bound method", "-".join, "x"),
    ("class", funcs.Scaler, "params:factor"),
    ("lambda", lambda a, b: a, ["a", "b"]),
    ("module-level private function", _negate, "x"),
    ("parameters mapping", funcs.use_parameters, ["data", "parameters"]),
]


@pytest.mark.parametrize(
    ("func", "inputs"),
    [pytest.param(f, i, id=label) for label, f, i in VALID_BINDINGS],
)
def test_inputs_that_fit_the_signature_are_accepted(func: Callable[..., Any], inputs: Any) -> None:
    n = node(func, inputs, "out")

    assert n.func is func
    assert n.outputs == ("out",)


INVALID_BINDINGS: list[tuple[str, Callable[..., Any], Any, list[str]]] = [
    ("missing argument", funcs.identity, None, ["'x'", "no input"]),
    ("extra positional", funcs.identity, ["a", "b"], ["1 positional", "2 inputs", "'b'"]),
    ("missing second argument", funcs.add, "a", ["'y'", "no input"]),
    ("unknown keyword", funcs.add, {"x": "a", "z": "b"}, ["'z'", "not a parameter", "'y'"]),
    ("missing keyword-only", funcs.keyword_only, ["a"], ["'scale'", "no input"]),
    ("keyword-only given by position", funcs.keyword_only, ["a", "b"], ["'b'", "'scale'"]),
    (
        "positional-only by keyword",
        funcs.positional_only,
        {"x": "a", "y": "b"},
        ["positional-only"],
    ),
    ("arguments for a function without any", funcs.no_arguments, "x", ["0 positional", "'x'"]),
    ("bound method, self not an input", funcs.Scaler(2.0).scale, ["a", "b"], ["1 positional"]),
    ("callable object, extra input", funcs.Multiply(3), ["a", "b"], ["1 positional", "'b'"]),
    ("partial, argument already bound", functools.partial(funcs.add, 1), ["a", "b"], ["'b'"]),
    ("builtin, positional-only by keyword", len, {"obj": "x"}, ["'obj'", "positional-only"]),
    ("var args take no keywords", funcs.combine, {"a": "x"}, ["'a'", "not a parameter"]),
    ("required keyword-only with var args", funcs.every_kind, ["a", "b", "c"], ["'c'"]),
    ("bound method, unknown keyword", funcs.Scaler(1.0).scale, {"self": "a"}, ["'self'", "'x'"]),
]


@pytest.mark.parametrize(
    ("func", "inputs", "fragments"),
    [pytest.param(f, i, frag, id=label) for label, f, i, frag in INVALID_BINDINGS],
)
def test_inputs_that_do_not_fit_the_signature_are_rejected(
    func: Callable[..., Any], inputs: Any, fragments: list[str]
) -> None:
    with pytest.raises(PipelineError) as exc:
        node(func, inputs, "out")

    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message


def test_decorated_function_is_accepted_with_the_wrapped_signature() -> None:
    assert node(funcs.logged_add, ["a", "b"], "c").inputs == ("a", "b")
    assert node(funcs.logged_add, {"x": "a", "y": "b"}, "c").input_keywords == ("x", "y")


def test_decorated_function_is_checked_against_the_wrapped_signature() -> None:
    # The wrapper takes (*args, **kwargs) but functools.wraps records the real signature:
    # a missing argument must be reported when the node is defined, not when it runs.
    with pytest.raises(PipelineError, match="Argument 'y' has no input"):
        node(funcs.logged_add, "a", "c")


def test_signature_error_names_the_node_and_the_function() -> None:
    with pytest.raises(PipelineError, match=r"Invalid node 'make_total' \(add\)") as exc:
        node(funcs.add, "a", "total", name="make_total")

    assert exc.value.node_names == ("make_total",)


def test_signature_error_uses_the_namespaced_node_name() -> None:
    with pytest.raises(PipelineError, match=re.escape("'training.make_total'")) as exc:
        node(funcs.add, "a", "total", name="make_total", namespace="training")

    assert exc.value.node_names == ("training.make_total",)


def test_node_errors_are_datamill_errors() -> None:
    with pytest.raises(DatamillError):
        node(funcs.add, "a", "total")


def test_every_problem_of_a_node_is_reported_at_once() -> None:
    with pytest.raises(PipelineError) as exc:
        node(funcs.add, {"x": "a", "z": "b"}, ["a", "params:p"])

    problems = exc.value.problems
    assert len(problems) == 4
    assert any("'a'" in p and "both an input and an output" in p for p in problems)
    assert any("'params:p'" in p and "parameter" in p for p in problems)
    assert any("'z'" in p and "not a parameter of the function" in p for p in problems)
    assert any("'y'" in p and "no input" in p for p in problems)


def test_unknown_keyword_error_lists_the_accepted_arguments() -> None:
    with pytest.raises(PipelineError, match=r"accepts 'x', 'y'"):
        node(funcs.add, {"x": "a", "why": "b"}, "c")


# -- dataset name checks -------------------------------------------------------------------


def test_duplicate_outputs_are_rejected() -> None:
    with pytest.raises(PipelineError) as exc:
        node(funcs.split, "x", ["half", "half"])

    assert "Output 'half' is listed more than once" in _problems(exc)


def test_duplicate_outputs_in_a_mapping_are_rejected() -> None:
    with pytest.raises(PipelineError, match="'twice' is listed more than once"):
        node(funcs.as_mapping, "x", {"double": "twice", "triple": "twice"})


def test_an_input_cannot_also_be_an_output() -> None:
    with pytest.raises(PipelineError) as exc:
        node(funcs.identity, "table", "table")

    assert "Dataset 'table' is both an input and an output" in _problems(exc)


def test_input_output_overlap_names_only_the_overlapping_datasets() -> None:
    with pytest.raises(PipelineError) as exc:
        node(funcs.add, ["a", "b"], ["b", "c"])

    message = _problems(exc)
    assert "'b'" in message
    assert "'a'" not in message
    assert "'c'" not in message


@pytest.mark.parametrize("output", ["params:alpha", "parameters"])
def test_an_output_cannot_be_a_parameter(output: str) -> None:
    with pytest.raises(PipelineError) as exc:
        node(funcs.identity, "x", output)

    assert f"Output {output!r} is a parameter name" in _problems(exc)


# -- argument types ------------------------------------------------------------------------


def test_func_must_be_callable() -> None:
    with pytest.raises(TypeError, match="needs a callable as its first argument, got 'identity'"):
        node("identity", "x", "y")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param(5, id="int"),
        pytest.param({"a", "b"}, id="set (unordered)"),
        pytest.param(frozenset({"a"}), id="frozenset"),
    ],
)
def test_inputs_of_the_wrong_type_are_rejected(inputs: Any) -> None:
    with pytest.raises(TypeError, match=r"Inputs of node for combine must be None, a name"):
        node(funcs.combine, inputs, "y")


@pytest.mark.parametrize(
    "outputs",
    [pytest.param(5, id="int"), pytest.param({"a", "b"}, id="set (unordered)")],
)
def test_outputs_of_the_wrong_type_are_rejected(outputs: Any) -> None:
    with pytest.raises(TypeError, match=r"Outputs of node for split must be None, a name"):
        node(funcs.split, "x", outputs)


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param("", id="empty name"),
        pytest.param(["a", ""], id="empty name in a list"),
        pytest.param(["a", 3], id="int in a list"),
        pytest.param({"a": ""}, id="empty name in a dict"),
        pytest.param({"a": None}, id="None in a dict"),
    ],
)
def test_input_names_must_be_non_empty_strings(inputs: Any) -> None:
    with pytest.raises(TypeError, match="Each input of the node for combine must be a non-empty"):
        node(funcs.combine, inputs, "y")


@pytest.mark.parametrize(
    "outputs",
    [
        pytest.param("", id="empty name"),
        pytest.param(["a", None], id="None in a list"),
        pytest.param({"k": 3}, id="int in a dict"),
    ],
)
def test_output_names_must_be_non_empty_strings(outputs: Any) -> None:
    with pytest.raises(TypeError, match="Each output of the node for identity must be a non-empty"):
        node(funcs.identity, "x", outputs)


def test_input_keywords_must_be_strings() -> None:
    with pytest.raises(TypeError, match="Input argument names must be strings, got 1"):
        node(funcs.combine, {1: "x"}, "y")  # type: ignore[dict-item]


def test_output_keys_must_be_strings() -> None:
    # Input keywords that are not strings raise TypeError; output keys should too, rather
    # than being turned into strings that the function's returned mapping does not contain.
    with pytest.raises(TypeError, match=re.escape("Output keys must be strings, got 0.")):
        node(funcs.as_mapping, "x", {0: "zero"})  # type: ignore[dict-item]


@pytest.mark.parametrize("name", ["", "   ", 7])
def test_node_name_must_be_a_non_empty_string(name: Any) -> None:
    with pytest.raises(TypeError, match="A node name must be a non-empty string"):
        node(funcs.identity, "x", "y", name=name)


# -- names and namespaces ------------------------------------------------------------------


def test_default_name_joins_function_and_output_names() -> None:
    assert node(funcs.split, "x", ["a", "b"]).name == "split__a__b"


def test_default_name_without_outputs_is_the_function_name() -> None:
    assert node(funcs.sink, "x", None).name == "sink"


def test_default_name_of_a_mapping_node_uses_dataset_names() -> None:
    assert node(funcs.as_mapping, "x", {"double": "d", "triple": "t"}).name == "as_mapping__d__t"


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        pytest.param(lambda x: x, "lambda__y", id="lambda"),
        pytest.param(functools.partial(funcs.add, 1), "add__y", id="partial"),
        pytest.param(
            functools.partial(functools.partial(funcs.add), 1), "add__y", id="nested partial"
        ),
        pytest.param(funcs.Scaler(2.0).scale, "scale__y", id="bound method"),
        pytest.param(funcs.Multiply(2), "Multiply__y", id="callable object"),
        pytest.param(len, "len__y", id="builtin"),
    ],
)
def test_default_name_of_other_callables(func: Callable[..., Any], expected: str) -> None:
    assert node(func, "x", "y").name == expected


def test_default_name_is_deterministic() -> None:
    assert node(funcs.add, ["a", "b"], "c").name == node(funcs.add, ["a", "b"], "c").name


def test_func_name_property() -> None:
    assert node(funcs.add, ["a", "b"], "c", name="other").func_name == "add"
    assert node(functools.partial(funcs.add, 1), "b", "c").func_name == "add"


def test_namespace_prefixes_the_default_name() -> None:
    n = node(funcs.add, ["a", "b"], "c", namespace="data.prep")

    assert n.name == "data.prep.add__c"
    assert n.namespace == "data.prep"


def test_namespace_prefixes_an_explicit_name() -> None:
    n = node(funcs.add, ["a", "b"], "c", name="sum", namespace="prep")

    assert n.name == "prep.sum"


def test_namespace_does_not_rename_datasets() -> None:
    n = node(funcs.add, ["a", "b"], "c", namespace="prep")

    assert n.inputs == ("a", "b")
    assert n.outputs == ("c",)


def test_node_without_namespace_has_none() -> None:
    assert node(funcs.identity, "x", "y").namespace is None


@pytest.mark.parametrize("namespace", ["a", "a.b", "a_b-c.d1", "A.B.C"])
def test_valid_namespaces_are_accepted(namespace: str) -> None:
    assert node(funcs.identity, "x", "y", namespace=namespace).namespace == namespace


@pytest.mark.parametrize("namespace", ["", ".a", "a.", "a..b", "a b", "a/b", "a:b"])
def test_invalid_namespaces_are_rejected(namespace: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Namespace {namespace!r} is invalid")):
        node(funcs.identity, "x", "y", namespace=namespace)


# -- tags ----------------------------------------------------------------------------------


def test_single_tag_string_is_one_tag() -> None:
    assert node(funcs.identity, "x", "y", tags="training").tags == frozenset({"training"})


def test_several_tags_collapse_duplicates() -> None:
    n = node(funcs.identity, "x", "y", tags=["a", "b", "a"])

    assert n.tags == frozenset({"a", "b"})


def test_no_tags_by_default() -> None:
    assert node(funcs.identity, "x", "y").tags == frozenset()


@pytest.mark.parametrize("tag", ["a", "a.b", "a-b_c", "V2"])
def test_valid_tags_are_accepted(tag: str) -> None:
    assert tag in node(funcs.identity, "x", "y", tags=[tag]).tags


@pytest.mark.parametrize("tag", ["", "two words", "a/b", "a:b"])
def test_invalid_tags_are_rejected_naming_the_tag(tag: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Tag {tag!r} is invalid")):
        node(funcs.identity, "x", "y", tags=["ok", tag])


def test_non_string_tags_are_rejected() -> None:
    with pytest.raises(ValueError, match="Tag 3 is invalid"):
        node(funcs.identity, "x", "y", tags=[3])  # type: ignore[list-item]


# -- generators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func",
    [
        pytest.param(funcs.chunks, id="generator function"),
        pytest.param(functools.partial(funcs.chunks), id="partial of a generator"),
        pytest.param(funcs.Scaler(2.0).scale_chunks, id="generator method"),
    ],
)
def test_generator_functions_are_recognised(func: Callable[..., Iterator[Any]]) -> None:
    assert node(func, "x", "y").is_generator


def test_decorated_generator_function_is_a_generator() -> None:
    # functools.wraps records the generator function as __wrapped__; calling the wrapper
    # returns the generator's chunks, so the node must be treated as a generator.
    assert node(funcs.logged_chunks, "x", "y").is_generator


@pytest.mark.parametrize(
    "func",
    [funcs.identity, funcs.Multiply(2), funcs.Scaler(1.0).scale, len],
    ids=["function", "callable object", "method", "builtin"],
)
def test_plain_functions_are_not_generators(func: Callable[..., Any]) -> None:
    assert not node(func, "x", "y").is_generator


def test_callable_object_with_a_generator_call_is_a_generator() -> None:
    assert node(funcs.ChunkReader(), "source", "chunks").is_generator


# -- retry ---------------------------------------------------------------------------------


def test_a_node_follows_the_run_s_retry_policy_by_default() -> None:
    assert node(funcs.identity, "x", "y").retry is None


def test_a_number_of_retries_is_a_default_policy() -> None:
    assert node(funcs.identity, "x", "y", retry=3).retry == Retry(3, delay=1.0, backoff=2.0)


def test_retry_zero_is_an_explicit_no_retry() -> None:
    retry = node(funcs.identity, "x", "y", retry=0).retry

    assert retry == Retry(0)
    assert retry is not None
    assert retry.attempts == 1


def test_a_retry_policy_is_kept_as_given() -> None:
    policy = Retry(2, delay=0.5, on=ConnectionError)

    assert node(funcs.identity, "x", "y", retry=policy).retry is policy


def test_nodes_with_equal_retry_policies_are_equal() -> None:
    a = node(funcs.identity, "x", "y", retry=Retry(2, on=OSError))
    b = node(funcs.identity, "x", "y", retry=Retry(2, on=(OSError,)))

    assert a == b
    assert hash(a) == hash(b)


def test_negative_retries_are_rejected_naming_the_node() -> None:
    with pytest.raises(ValueError, match=r"^retry of node 'ns\.copy' must be 0 or more") as info:
        node(funcs.identity, "x", "y", name="copy", namespace="ns", retry=-1)
    assert "got -1" in str(info.value)


@pytest.mark.parametrize("retry", ["3", 2.5, True, [2]])
def test_retry_of_the_wrong_type_is_rejected_naming_the_node(retry: Any) -> None:
    with pytest.raises(TypeError, match=r"^retry of node 'copy' must be a number of retries or a"):
        node(funcs.identity, "x", "y", name="copy", retry=retry)


# -- immutability --------------------------------------------------------------------------


def test_node_attributes_cannot_be_assigned() -> None:
    n = node(funcs.identity, "x", "y")

    with pytest.raises(dataclasses.FrozenInstanceError):
        n.name = "other"  # type: ignore[misc]
    assert n.name == "identity__y"


def test_node_inputs_cannot_be_assigned() -> None:
    n = node(funcs.identity, "x", "y")

    with pytest.raises(AttributeError):
        n.inputs = ("z",)  # type: ignore[misc]
    assert n.inputs == ("x",)


def test_node_accepts_no_new_attributes() -> None:
    n = node(funcs.identity, "x", "y")

    # CPython 3.11's frozen slots dataclasses raise TypeError here instead of
    # FrozenInstanceError (fixed in 3.12); either way the assignment must fail.
    with pytest.raises((AttributeError, TypeError)):
        n.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(n, "extra")


def test_node_inputs_and_tags_are_immutable_collections() -> None:
    n = node(funcs.add, ["a", "b"], ["c"], tags=["t"])

    assert isinstance(n.inputs, tuple)
    assert isinstance(n.outputs, tuple)
    assert isinstance(n.tags, frozenset)


def test_node_does_not_keep_a_reference_to_the_caller_s_lists() -> None:
    inputs = ["a", "b"]
    outputs = ["c"]
    n = node(funcs.add, inputs, outputs)

    inputs.append("z")
    outputs[0] = "zz"

    assert n.inputs == ("a", "b")
    assert n.outputs == ("c",)


# -- equality and hashing ------------------------------------------------------------------


def test_nodes_built_the_same_way_are_equal_and_hash_alike() -> None:
    a = node(funcs.add, ["a", "b"], "c", tags=["x", "y"], namespace="ns")
    b = node(funcs.add, ["a", "b"], "c", tags=["y", "x"], namespace="ns")

    assert a is not b
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(node(funcs.with_default, ["a", "b"], "c", name="n"), id="function"),
        pytest.param(node(funcs.add, ["b", "a"], "c", name="n"), id="inputs"),
        pytest.param(node(funcs.add, ["a", "b"], "d", name="n"), id="outputs"),
        pytest.param(node(funcs.add, ["a", "b"], ["c"], name="n"), id="output style"),
        pytest.param(node(funcs.add, ["a", "b"], "c", name="m"), id="name"),
        pytest.param(node(funcs.add, ["a", "b"], "c", name="n", tags="t"), id="tags"),
        pytest.param(node(funcs.add, {"x": "a", "y": "b"}, "c", name="n"), id="keyword binding"),
        pytest.param(node(funcs.add, ["a", "b"], "c", name="n", retry=2), id="retry"),
        pytest.param(node(funcs.add, ["a", "b"], "c", name="n", retry=0), id="no retry"),
    ],
)
def test_nodes_differing_in_any_field_are_unequal(other: Node) -> None:
    base = node(funcs.add, ["a", "b"], "c", name="n")

    assert base != other
    assert len({base, other}) == 2


def test_nodes_differing_only_in_namespace_are_unequal() -> None:
    a = node(funcs.add, ["a", "b"], "c", name="n", namespace="x")
    b = node(funcs.add, ["a", "b"], "c", name="x.n")

    assert a.name == b.name
    assert a != b


def test_node_is_not_equal_to_other_types() -> None:
    n = node(funcs.identity, "x", "y")

    assert n != "identity__y"
    assert n != ("x", "y")


def test_repr_shows_name_inputs_and_outputs() -> None:
    n = node(funcs.add, ["a", "b"], "c", name="sum")

    assert repr(n) == "Node('sum', inputs=['a', 'b'], outputs=['c'])"


def test_callable_object_that_is_not_hashable_can_be_a_node() -> None:
    # A plain (non-frozen) dataclass with __call__ sets __hash__ to None; such callables
    # are common ("configured transformers") and must still make valid nodes.
    @dataclasses.dataclass
    class Threshold:
        limit: int

        def __call__(self, values: list[int]) -> list[int]:
            return [v for v in values if v > self.limit]

    threshold = Threshold(3)
    n = node(threshold, "values", "big_values")

    assert n.inputs == ("values",)
    assert n == n.with_changes()
    assert n == node(threshold, "values", "big_values")
    assert len({n, node(threshold, "values", "big_values")}) == 1


# -- with_changes --------------------------------------------------------------------------


def test_with_changes_without_arguments_gives_an_equal_node() -> None:
    n = node(funcs.add, ["a", "b"], "c", tags="t", namespace="ns")

    assert n.with_changes() == n


def test_with_changes_renames_inputs_and_outputs() -> None:
    n = node(funcs.add, ["a", "b"], "c", name="sum")

    changed = n.with_changes(rename=str.upper)

    assert changed.inputs == ("A", "B")
    assert changed.outputs == ("C",)
    assert changed.name == "sum"


def test_with_changes_namespace_prefixes_the_name_and_nests() -> None:
    n = node(funcs.add, ["a", "b"], "c", name="sum", namespace="inner")

    changed = n.with_changes(namespace="outer")

    assert changed.name == "outer.inner.sum"
    assert changed.namespace == "outer.inner"


def test_with_changes_namespace_on_a_node_without_one() -> None:
    changed = node(funcs.add, ["a", "b"], "c", name="sum").with_changes(namespace="ns")

    assert changed.name == "ns.sum"
    assert changed.namespace == "ns"


def test_with_changes_adds_tags() -> None:
    n = node(funcs.identity, "x", "y", tags="a")

    assert n.with_changes(tags=["b", "c"]).tags == frozenset({"a", "b", "c"})


def test_with_changes_keeps_the_original_unchanged() -> None:
    n = node(funcs.identity, "x", "y", tags="a")

    n.with_changes(rename=lambda d: d + "_2", namespace="ns", tags="b")

    assert n.inputs == ("x",)
    assert n.name == "identity__y"
    assert n.tags == frozenset({"a"})


def test_with_changes_keeps_binding_and_output_style() -> None:
    n = node(funcs.as_mapping, {"x": "in"}, {"double": "d", "triple": "t"})

    changed = n.with_changes(rename=lambda d: "ns." + d)

    assert changed.input_keywords == ("x",)
    assert changed.output_style == "mapping"
    assert changed.output_keys == ("double", "triple")
    assert changed.outputs == ("ns.d", "ns.t")


def test_with_changes_keeps_is_generator() -> None:
    assert node(funcs.chunks, "x", "y").with_changes(namespace="ns").is_generator


def test_with_changes_rejects_an_invalid_namespace() -> None:
    with pytest.raises(ValueError, match="Namespace 'bad ns' is invalid"):
        node(funcs.identity, "x", "y").with_changes(namespace="bad ns")


def test_with_changes_rejects_an_invalid_tag() -> None:
    with pytest.raises(ValueError, match="Tag 'bad tag' is invalid"):
        node(funcs.identity, "x", "y").with_changes(tags=["bad tag"])


def test_with_changes_keeps_the_retry_policy() -> None:
    n = node(funcs.add, ["a", "b"], "c", name="sum", retry=Retry(2, delay=0.5))

    changed = n.with_changes(rename=str.upper, namespace="outer", tags="t")

    assert changed.retry == Retry(2, delay=0.5)


# -- bind ----------------------------------------------------------------------------------


def test_bind_positional_inputs() -> None:
    n = node(funcs.add, ["a", "b"], "c")

    args, kwargs = n.bind([1, 2])

    assert args == (1, 2)
    assert kwargs == {}
    assert n.func(*args, **kwargs) == 3


def test_bind_keyword_inputs() -> None:
    n = node(funcs.subtract, {"y": "b", "x": "a"}, "c")

    args, kwargs = n.bind([10, 3])

    assert args == ()
    assert kwargs == {"y": 10, "x": 3}
    assert n.func(*args, **kwargs) == -7


def test_bind_without_inputs() -> None:
    assert node(funcs.no_arguments, None, "one").bind([]) == ((), {})


def test_bind_rejects_the_wrong_number_of_keyword_values() -> None:
    n = node(funcs.add, {"x": "a", "y": "b"}, "c")

    with pytest.raises(ValueError, match="zip"):
        n.bind([1])


# -- pickling ------------------------------------------------------------------------------


def test_node_survives_pickling_in_the_same_process() -> None:
    n = node(funcs.add, {"x": "a", "y": "b"}, "c", tags=["t"], namespace="ns")

    copy = pickle.loads(pickle.dumps(n))

    assert copy == n
    assert hash(copy) == hash(n)
    assert copy.is_generator == n.is_generator


def test_node_keeps_its_retry_policy_through_pickling() -> None:
    n = node(funcs.identity, "x", "y", retry=Retry(2, delay=0.5, on=(ConnectionError,)))

    copy = pickle.loads(pickle.dumps(n))

    assert copy == n
    assert hash(copy) == hash(n)
    assert copy.retry == Retry(2, delay=0.5, on=ConnectionError)


def test_node_pickled_in_another_process_equals_the_same_node_built_here() -> None:
    # A process executor ships nodes to workers; a node must stay equal to itself across
    # processes, whose string hashes differ (hash randomisation).
    script = (
        "import pickle, sys\n"
        "from datamill.pipeline import node\n"
        "from tests.resources import funcs\n"
        "from datamill.pipeline import Retry\n"
        "n = node(funcs.add, ['a', 'b'], 'c', tags=['t'], namespace='ns',\n"
        "         retry=Retry(2, on=(ConnectionError, funcs.Unavailable)))\n"
        "sys.stdout.buffer.write(pickle.dumps(n))\n"
    )
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, check=True
    )

    shipped = pickle.loads(result.stdout)
    retry = Retry(2, on=(ConnectionError, funcs.Unavailable))
    local = node(funcs.add, ["a", "b"], "c", tags=["t"], namespace="ns", retry=retry)

    assert shipped == local
    assert local in Pipeline([shipped])
