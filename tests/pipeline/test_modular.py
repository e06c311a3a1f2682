"""Tests for modular reuse: pipeline() with a namespace, dataset and parameter remapping."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest

from datamill.errors import PipelineError
from datamill.pipeline import Node, Pipeline, Retry, node, pipeline
from tests.resources import funcs


def base() -> Pipeline:
    """Free inputs: raw, params:model.alpha, params:model_b, parameters. Output: report."""
    return Pipeline(
        [
            node(
                funcs.keyword_only,
                {"x": "raw", "scale": "params:model.alpha"},
                "scaled",
                name="scale",
                tags="prep",
            ),
            node(funcs.add, ["scaled", "params:model_b"], "model", name="fit"),
            node(
                funcs.use_parameters,
                ["model", "parameters"],
                "report",
                name="report",
                namespace="inner",
            ),
        ]
    )


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


def edges(p: Pipeline) -> set[tuple[str, str, str]]:
    """Every (producer, dataset, consumer) triple."""
    result = set()
    for consumer in p.nodes:
        for dataset in consumer.inputs:
            producer = p.producer_of(dataset)
            if producer is not None:
                result.add((producer.name, dataset, consumer.name))
    return result


# -- namespace -----------------------------------------------------------------------------


def test_namespace_prefixes_node_names() -> None:
    assert names(pipeline(base(), namespace="ns")) == {"ns.scale", "ns.fit", "ns.inner.report"}


def test_namespace_nests_existing_namespaces() -> None:
    p = pipeline(base(), namespace="ns")

    assert p.get_node("ns.scale").namespace == "ns"
    assert p.get_node("ns.inner.report").namespace == "ns.inner"
    assert p.namespaces() == {"ns", "ns.inner"}


def test_namespace_prefixes_every_dataset() -> None:
    p = pipeline(base(), namespace="ns")

    assert p.all_outputs() == {"ns.scaled", "ns.model", "ns.report"}
    assert p.inputs() == {"ns.raw", "params:ns.model.alpha", "params:ns.model_b", "parameters"}


def test_namespaced_copies_keep_each_node_s_retry_policy() -> None:
    retry = Retry(2, delay=0.5, on=ConnectionError)
    original = Pipeline(
        [
            node(funcs.add, ["a", "b"], "c", name="fetch", retry=retry),
            node(funcs.identity, "c", "d", name="keep", retry=0),
            node(funcs.identity, "d", "e", name="default"),
        ]
    )

    p = pipeline(pipeline(original, namespace="inner"), namespace="outer", inputs="inner.a")

    assert p.get_node("outer.inner.fetch").retry == retry
    assert p.get_node("outer.inner.keep").retry == Retry(0)
    assert p.get_node("outer.inner.default").retry is None


def test_namespace_prefixes_parameter_keys_after_the_params_prefix() -> None:
    p = pipeline(base(), namespace="ns")

    assert p.get_node("ns.scale").inputs == ("ns.raw", "params:ns.model.alpha")
    assert p.parameters() == {"params:ns.model.alpha", "params:ns.model_b", "parameters"}


def test_the_whole_parameters_input_is_never_renamed() -> None:
    p = pipeline(base(), namespace="ns")

    assert p.get_node("ns.inner.report").inputs == ("ns.model", "parameters")


def test_namespace_keeps_the_shape_of_the_graph() -> None:
    original = base()
    p = pipeline(original, namespace="ns")

    def strip(name: str) -> str:
        return name.removeprefix("ns.")

    renamed = {(strip(a), strip(d), strip(b)) for a, d, b in edges(p)}
    assert renamed == edges(original)
    assert len(p) == len(original)


def test_namespace_keeps_function_binding_and_tags() -> None:
    scale = pipeline(base(), namespace="ns").get_node("ns.scale")

    assert scale.func is funcs.keyword_only
    assert scale.input_keywords == ("x", "scale")
    assert scale.tags == frozenset({"prep"})


def test_nested_reuse_prefixes_twice() -> None:
    p = pipeline(pipeline(base(), namespace="inner2"), namespace="outer")

    assert "outer.inner2.scale" in p
    assert p.get_node("outer.inner2.scale").inputs == (
        "outer.inner2.raw",
        "params:outer.inner2.model.alpha",
    )


def test_invalid_namespace_is_rejected() -> None:
    with pytest.raises(ValueError, match=re.escape("Namespace 'bad ns' is invalid")):
        pipeline(base(), namespace="bad ns")


# -- without a namespace -------------------------------------------------------------------


def test_without_arguments_the_copy_equals_the_original() -> None:
    assert pipeline(base()) == base()


def test_without_a_namespace_only_the_listed_datasets_change() -> None:
    p = pipeline(base(), inputs={"raw": "companies"}, outputs={"report": "final"})

    assert names(p) == names(base())
    assert p.inputs() == {"companies", "params:model.alpha", "params:model_b", "parameters"}
    assert p.outputs() == {"final"}
    assert p.get_node("fit").outputs == ("model",)


def test_without_a_namespace_parameters_can_be_renamed() -> None:
    p = pipeline(base(), parameters={"model": "shared"})

    assert p.parameters() == {"params:shared.alpha", "params:model_b", "parameters"}


def test_accepts_a_list_of_nodes() -> None:
    nodes: list[Node | Pipeline] = list(base().nodes)

    assert pipeline(nodes, namespace="ns") == pipeline(base(), namespace="ns")


# -- inputs and outputs ----------------------------------------------------------------------


def test_an_input_given_by_name_keeps_its_name() -> None:
    p = pipeline(base(), namespace="ns", inputs="raw")

    assert "raw" in p.inputs()
    assert "ns.raw" not in p.datasets()


@pytest.mark.parametrize("inputs", [["raw"], {"raw"}, ("raw",), {"raw": "raw"}])
def test_inputs_to_keep_may_be_any_collection(inputs: Iterable[str]) -> None:
    assert "raw" in pipeline(base(), namespace="ns", inputs=inputs).inputs()


def test_an_input_mapping_renames_the_input() -> None:
    p = pipeline(base(), namespace="ns", inputs={"raw": "companies"})

    assert p.get_node("ns.scale").inputs == ("companies", "params:ns.model.alpha")


def test_an_output_given_by_name_keeps_its_name() -> None:
    p = pipeline(base(), namespace="ns", outputs="report")

    assert p.outputs() == {"report"}
    assert p.get_node("ns.inner.report").outputs == ("report",)


def test_an_output_mapping_renames_the_output() -> None:
    assert pipeline(base(), namespace="ns", outputs={"report": "final"}).outputs() == {"final"}


def test_an_intermediate_output_is_renamed_for_its_consumers_too() -> None:
    p = pipeline(base(), namespace="ns", outputs={"model": "shared_model"})

    assert p.get_node("ns.fit").outputs == ("shared_model",)
    assert p.get_node("ns.inner.report").inputs == ("shared_model", "parameters")
    assert ("ns.fit", "shared_model", "ns.inner.report") in edges(p)


# -- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["model", "params:model", ["model"], {"model": "model"}])
def test_a_parameter_prefix_keeps_every_key_below_it(spec: Iterable[str]) -> None:
    p = pipeline(base(), namespace="ns", parameters=spec)

    assert "params:model.alpha" in p.parameters()


def test_a_parameter_prefix_matches_whole_dotted_parts_only() -> None:
    p = pipeline(base(), namespace="ns", parameters="model")

    assert "params:ns.model_b" in p.parameters()
    assert "params:model_b" not in p.parameters()


def test_a_full_parameter_key_can_be_kept() -> None:
    p = pipeline(base(), namespace="ns", parameters="params:model.alpha")

    assert p.parameters() == {"params:model.alpha", "params:ns.model_b", "parameters"}


@pytest.mark.parametrize(
    "mapping",
    [
        {"model": "shared"},
        {"params:model": "params:shared"},
        {"model": "params:shared"},
        {"params:model": "shared"},
    ],
)
def test_a_parameter_prefix_mapping_renames_the_keys_below_it(mapping: dict[str, str]) -> None:
    p = pipeline(base(), namespace="ns", parameters=mapping)

    assert p.get_node("ns.scale").inputs == ("ns.raw", "params:shared.alpha")


def test_a_parameter_mapping_to_a_nested_key() -> None:
    p = pipeline(base(), namespace="ns", parameters={"model.alpha": "training.lr"})

    assert "params:training.lr" in p.parameters()


# -- tags ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tags", ["reused", ["reused"], ("reused", "v2")])
def test_tags_are_added_to_every_node(tags: Iterable[str]) -> None:
    p = pipeline(base(), namespace="ns", tags=tags)

    assert all("reused" in n.tags for n in p.nodes)
    assert p.get_node("ns.scale").tags >= {"prep", "reused"}


def test_invalid_tags_are_rejected() -> None:
    with pytest.raises(ValueError, match=re.escape("Tag 'no spaces' is invalid")):
        pipeline(base(), tags="no spaces")


# -- composing copies ----------------------------------------------------------------------


def test_two_copies_under_different_namespaces_combine() -> None:
    a = pipeline(base(), namespace="a", inputs="raw", parameters="model")
    b = pipeline(base(), namespace="b", inputs="raw", parameters="model")

    both = a + b

    assert len(both) == 6
    assert both.inputs() == {
        "raw",
        "params:model.alpha",
        "params:a.model_b",
        "params:b.model_b",
        "parameters",
    }
    assert both.consumers_of("raw") == (both.get_node("a.scale"), both.get_node("b.scale"))


def test_two_copies_under_the_same_namespace_are_the_same_nodes() -> None:
    assert pipeline(base(), namespace="a") + pipeline(base(), namespace="a") == pipeline(
        base(), namespace="a"
    )


def test_copies_can_be_chained_through_remapped_datasets() -> None:
    first = pipeline(base(), namespace="first", outputs={"report": "handoff"})
    second = pipeline(base(), namespace="second", inputs={"raw": "handoff"})

    chained = first + second

    assert ("first.inner.report", "handoff", "second.scale") in edges(chained)
    assert chained.outputs() == {"second.report"}


def test_a_copy_without_a_namespace_collides_with_the_original() -> None:
    with pytest.raises(PipelineError, match="Two different nodes are named 'scale'"):
        base() + pipeline(base(), inputs={"raw": "other_raw"})


# -- errors --------------------------------------------------------------------------------


def test_an_unknown_input_suggests_the_closest() -> None:
    with pytest.raises(PipelineError) as exc:
        pipeline(base(), namespace="ns", inputs="rwa")

    assert exc.value.problems == (
        "Input 'rwa' is not one of the pipeline's free inputs. Did you mean 'raw'?",
    )


def test_an_intermediate_dataset_is_not_an_input() -> None:
    with pytest.raises(
        PipelineError, match="Input 'scaled' is not one of the pipeline's free inputs"
    ):
        pipeline(base(), namespace="ns", inputs="scaled")


def test_a_parameter_is_not_a_data_input() -> None:
    with pytest.raises(
        PipelineError,
        match=re.escape("Input 'params:model.alpha' is not one of the pipeline's free inputs"),
    ):
        pipeline(base(), namespace="ns", inputs="params:model.alpha")


def test_an_unknown_output_suggests_the_closest() -> None:
    with pytest.raises(PipelineError) as exc:
        pipeline(base(), namespace="ns", outputs={"reprot": "final"})

    assert exc.value.problems == (
        "Output 'reprot' is not one of the pipeline's outputs. Did you mean 'report'?",
    )


def test_a_free_input_is_not_an_output() -> None:
    with pytest.raises(PipelineError, match="Output 'raw' is not one of the pipeline's outputs"):
        pipeline(base(), namespace="ns", outputs="raw")


def test_an_unknown_parameter_suggests_the_closest() -> None:
    with pytest.raises(PipelineError) as exc:
        pipeline(base(), namespace="ns", parameters="params:modle")

    (problem,) = exc.value.problems
    assert problem.startswith("Parameter 'modle' is not one of the pipeline's parameters.")
    assert "Did you mean 'model'" in problem


def test_a_parameter_prefix_must_end_at_a_dot() -> None:
    with pytest.raises(PipelineError, match="Parameter 'mod' is not one of the pipeline's"):
        pipeline(base(), namespace="ns", parameters="mod")


def test_every_remapping_problem_is_reported_at_once() -> None:
    with pytest.raises(PipelineError, match=r"^Cannot remap the pipeline: ") as exc:
        pipeline(base(), namespace="ns", inputs="rwa", outputs="reprot", parameters="modle")

    assert [p.split()[0] for p in exc.value.problems] == ["Input", "Output", "Parameter"]
    for name in ("'rwa'", "'reprot'", "'modle'"):
        assert name in str(exc.value)


def test_remapping_onto_an_existing_output_is_rejected() -> None:
    two = Pipeline(
        [
            node(funcs.identity, "x", "a", name="first"),
            node(funcs.identity, "y", "b", name="second"),
        ]
    )

    with pytest.raises(PipelineError, match="'b' is produced by two nodes, 'first' and 'second'"):
        pipeline(two, outputs={"a": "b"})


def test_remapping_a_node_onto_its_own_input_is_rejected() -> None:
    # 'scaled' is renamed for its producer and its consumer: 'fit' would read and write 'model'.
    with pytest.raises(PipelineError, match="node 'fit' makes it invalid") as exc:
        pipeline(base(), outputs={"scaled": "model"})

    assert "Dataset 'model' is both an input and an output" in exc.value.problems[0]


def test_remapping_that_closes_a_loop_is_rejected_as_a_cycle() -> None:
    with pytest.raises(PipelineError, match="The pipeline has a cycle"):
        pipeline(base(), inputs={"raw": "model"})


@pytest.mark.parametrize(
    ("mapping", "offending"),
    [
        pytest.param({"first": "same", "second": "same"}, "'same'", id="two outputs, one name"),
        pytest.param({"first": "params:x"}, "'params:x'", id="output named as a parameter"),
    ],
)
def test_remapping_that_makes_an_invalid_node_is_rejected(
    mapping: dict[str, str], offending: str
) -> None:
    # node() refuses these outputs; a remapped copy must not be able to create them.
    halves = Pipeline([node(funcs.split, "all", ["first", "second"], name="halves")])

    with pytest.raises(PipelineError, match=re.escape(offending)):
        pipeline(halves, outputs=mapping)
