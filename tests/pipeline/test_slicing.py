"""Tests for slicing pipelines: by node, by dataset, by tag, by namespace, and filter()."""

from __future__ import annotations

import re

import pytest

from datamill.errors import PipelineError
from datamill.pipeline import Pipeline, node
from tests.resources import funcs
from tests.resources.pipeline_examples import data_science

INGEST = {"ingest_companies", "ingest_shuttles"}


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


def unknown(kind: str, name: str, guess: str) -> str:
    """The pattern of the error for an unknown name with a did-you-mean suggestion."""
    return re.escape(f"{kind} {name!r} is not in the pipeline. Did you mean {guess!r}?")


@pytest.fixture
def ds() -> Pipeline:
    return data_science()


@pytest.fixture
def namespaced() -> Pipeline:
    return Pipeline(
        [
            node(funcs.identity, "raw", "a_out", name="n1", namespace="a"),
            node(funcs.identity, "a_out", "ab_out", name="n2", namespace="a.b"),
            node(funcs.identity, "ab_out", "other_out", name="n3", namespace="ab"),
            node(funcs.identity, "other_out", "plain_out", name="n4"),
        ]
    )


# -- only_nodes ----------------------------------------------------------------------------


def test_only_nodes_keeps_exactly_the_named_nodes(ds: Pipeline) -> None:
    assert names(ds.only_nodes("join", "train")) == {"join", "train"}


def test_only_nodes_cuts_the_graph_into_new_inputs(ds: Pipeline) -> None:
    sliced = ds.only_nodes("train")

    assert sliced.inputs() == {"train_set", "params:model.alpha"}
    assert sliced.outputs() == {"model"}


def test_only_nodes_without_names_is_empty(ds: Pipeline) -> None:
    assert len(ds.only_nodes()) == 0


def test_only_nodes_unknown_name_suggests_the_closest(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match=unknown("Node", "jion", "join")):
        ds.only_nodes("train", "jion")


def test_every_unknown_node_name_is_reported(ds: Pipeline) -> None:
    with pytest.raises(PipelineError) as exc:
        ds.only_nodes("trian", "evalute", "trian", "join")

    assert len(exc.value.problems) == 2
    assert "Did you mean 'train'?" in exc.value.problems[0]
    assert "Did you mean 'evaluate'?" in exc.value.problems[1]


# -- from_nodes / to_nodes -----------------------------------------------------------------


def test_from_nodes_keeps_the_nodes_and_everything_downstream(ds: Pipeline) -> None:
    assert names(ds.from_nodes("split")) == {"split", "train", "evaluate", "report"}


def test_from_nodes_with_several_names_is_the_union(ds: Pipeline) -> None:
    assert names(ds.from_nodes("train", "ingest_shuttles")) == {
        "train",
        "evaluate",
        "report",
        "ingest_shuttles",
        "join",
        "split",
    }


def test_from_a_final_node_is_just_that_node(ds: Pipeline) -> None:
    assert names(ds.from_nodes("report")) == {"report"}


def test_to_nodes_keeps_the_nodes_and_everything_upstream(ds: Pipeline) -> None:
    assert names(ds.to_nodes("train")) == {"train", "split", "join", *INGEST}


def test_to_nodes_with_several_names_is_the_union(ds: Pipeline) -> None:
    assert names(ds.to_nodes("ingest_companies", "join")) == {"join", *INGEST}


def test_from_nodes_and_to_nodes_meet_at_the_named_node(ds: Pipeline) -> None:
    assert names(ds.from_nodes("split") & ds.to_nodes("split")) == {"split"}


def test_from_nodes_to_nodes_window(ds: Pipeline) -> None:
    assert names(ds.from_nodes("join") & ds.to_nodes("evaluate")) == {
        "join",
        "split",
        "train",
        "evaluate",
    }


@pytest.mark.parametrize("method", ["from_nodes", "to_nodes"])
def test_traversal_from_an_unknown_node_suggests_the_closest(ds: Pipeline, method: str) -> None:
    with pytest.raises(PipelineError, match=unknown("Node", "splt", "split")):
        getattr(ds, method)("splt")


# -- from_inputs / to_outputs --------------------------------------------------------------


def test_from_inputs_keeps_every_node_depending_on_the_dataset(ds: Pipeline) -> None:
    assert names(ds.from_inputs("raw_shuttles")) == {
        "ingest_shuttles",
        "join",
        "split",
        "train",
        "evaluate",
        "report",
    }


def test_from_inputs_accepts_an_intermediate_dataset(ds: Pipeline) -> None:
    assert names(ds.from_inputs("model")) == {"evaluate", "report"}


def test_from_inputs_accepts_a_parameter(ds: Pipeline) -> None:
    assert names(ds.from_inputs("params:model.alpha")) == {"train", "evaluate", "report"}


def test_from_inputs_of_a_final_output_is_empty(ds: Pipeline) -> None:
    assert len(ds.from_inputs("report")) == 0


def test_from_inputs_with_several_datasets_is_the_union(ds: Pipeline) -> None:
    assert names(ds.from_inputs("model", "companies")) == {
        "join",
        "split",
        "train",
        "evaluate",
        "report",
    }


def test_from_inputs_unknown_dataset_suggests_the_closest(ds: Pipeline) -> None:
    expected = (
        "Dataset 'raw_shutles' is not in the pipeline. Did you mean 'raw_shuttles' or 'shuttles'?"
    )
    with pytest.raises(PipelineError, match=re.escape(expected)):
        ds.from_inputs("raw_shutles")


def test_to_outputs_keeps_every_node_needed_for_the_dataset(ds: Pipeline) -> None:
    assert names(ds.to_outputs("model")) == {"train", "split", "join", *INGEST}


def test_to_outputs_of_one_output_of_a_multi_output_node(ds: Pipeline) -> None:
    assert names(ds.to_outputs("test_set")) == {"split", "join", *INGEST}


def test_to_outputs_with_several_datasets_is_the_union(ds: Pipeline) -> None:
    assert names(ds.to_outputs("companies", "shuttles")) == INGEST


def test_to_outputs_of_a_pipeline_input_is_an_error(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match="No node produces 'raw_companies'"):
        ds.to_outputs("model", "raw_companies")


def test_to_outputs_of_a_parameter_is_an_error(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match=re.escape("No node produces 'params:model.alpha'")):
        ds.to_outputs("params:model.alpha")


def test_to_outputs_unknown_dataset_suggests_the_closest(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match=unknown("Dataset", "metric", "metrics")):
        ds.to_outputs("metric")


# -- tags ----------------------------------------------------------------------------------


def test_only_nodes_with_tags_keeps_nodes_carrying_the_tag(ds: Pipeline) -> None:
    assert names(ds.only_nodes_with_tags("features")) == {"join", "split"}


def test_only_nodes_with_several_tags_keeps_nodes_with_any_of_them(ds: Pipeline) -> None:
    assert names(ds.only_nodes_with_tags("ingest", "report")) == {
        *INGEST,
        "evaluate",
        "report",
    }


def test_only_nodes_with_tags_does_not_pull_in_dependencies(ds: Pipeline) -> None:
    assert names(ds.only_nodes_with_tags("train")) == {"train", "evaluate"}


def test_only_nodes_with_an_unknown_tag_suggests_the_closest(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match=unknown("Tag", "trian", "train")):
        ds.only_nodes_with_tags("trian")


# -- namespaces ----------------------------------------------------------------------------


def test_only_nodes_with_namespaces_includes_nested_namespaces(namespaced: Pipeline) -> None:
    assert names(namespaced.only_nodes_with_namespaces("a")) == {"a.n1", "a.b.n2"}


def test_only_nodes_with_a_nested_namespace(namespaced: Pipeline) -> None:
    assert names(namespaced.only_nodes_with_namespaces("a.b")) == {"a.b.n2"}


def test_a_namespace_does_not_match_a_longer_sibling_by_prefix(namespaced: Pipeline) -> None:
    assert names(namespaced.only_nodes_with_namespaces("ab")) == {"ab.n3"}


def test_only_nodes_with_several_namespaces(namespaced: Pipeline) -> None:
    assert names(namespaced.only_nodes_with_namespaces("a.b", "ab")) == {"a.b.n2", "ab.n3"}


def test_only_nodes_with_an_unknown_namespace_suggests_the_closest(namespaced: Pipeline) -> None:
    with pytest.raises(PipelineError, match=unknown("Namespace", "a.c", "a.b")):
        namespaced.only_nodes_with_namespaces("a.c")


def test_a_node_name_is_not_a_namespace(namespaced: Pipeline) -> None:
    with pytest.raises(PipelineError, match="Namespace 'n4' is not in the pipeline"):
        namespaced.only_nodes_with_namespaces("n4")


# -- filter --------------------------------------------------------------------------------


def test_filter_without_options_is_the_whole_pipeline(ds: Pipeline) -> None:
    assert ds.filter() == ds


def test_filter_by_one_option_equals_that_slice(ds: Pipeline) -> None:
    assert ds.filter(tags=["train"]) == ds.only_nodes_with_tags("train")
    assert ds.filter(from_nodes=["split"]) == ds.from_nodes("split")
    assert ds.filter(to_nodes=["split"]) == ds.to_nodes("split")
    assert ds.filter(node_names=["join", "report"]) == ds.only_nodes("join", "report")
    assert ds.filter(from_inputs=["model"]) == ds.from_inputs("model")
    assert ds.filter(to_outputs=["model"]) == ds.to_outputs("model")


def test_filter_by_namespace_equals_that_slice(namespaced: Pipeline) -> None:
    assert namespaced.filter(node_namespaces=["a"]) == namespaced.only_nodes_with_namespaces("a")


def test_filter_keeps_the_nodes_selected_by_every_option(ds: Pipeline) -> None:
    sliced = ds.filter(from_nodes=["join"], to_nodes=["evaluate"], tags=["features", "train"])

    assert names(sliced) == {"join", "split", "train", "evaluate"}


def test_filter_combines_dataset_and_node_options(ds: Pipeline) -> None:
    sliced = ds.filter(
        from_inputs=["companies"], to_outputs=["model"], node_names=["split", "train"]
    )

    assert names(sliced) == {"split", "train"}


def test_filter_applies_every_slice_to_the_whole_pipeline(ds: Pipeline) -> None:
    # to_nodes('train') is computed on the whole pipeline, not on the tag slice: the result
    # is an intersection, not a chain of slices.
    sliced = ds.filter(tags=["ingest", "train"], to_nodes=["train"])

    assert names(sliced) == {*INGEST, "train"}


def test_filter_treats_a_single_string_as_one_name(ds: Pipeline) -> None:
    # node(tags="x") and Pipeline(tags="x") take a string as one tag; filter() should too,
    # instead of splitting it into one-letter names ("Tag 't' is not in the pipeline").
    assert ds.filter(tags="train") == ds.only_nodes_with_tags("train")
    assert ds.filter(from_nodes="split") == ds.from_nodes("split")


def test_filter_with_no_common_node_is_an_error(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match="No node satisfies every filter"):
        ds.filter(tags=["ingest"], from_nodes=["train"])


def test_filter_with_an_unknown_name_is_an_error(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match=unknown("Node", "trian", "train")):
        ds.filter(tags=["train"], from_nodes=["trian"])


def test_filter_with_an_unknown_dataset_is_an_error(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match="Dataset 'modle' is not in the pipeline"):
        ds.filter(to_outputs=["modle"])


# -- slices are pipelines ------------------------------------------------------------------


def test_slices_leave_the_original_pipeline_unchanged(ds: Pipeline) -> None:
    ds.from_nodes("split")
    ds.to_nodes("split")
    ds.only_nodes_with_tags("train")

    assert ds == data_science()


def test_a_slice_has_its_own_topological_order_and_layers(ds: Pipeline) -> None:
    sliced = ds.from_nodes("split")

    assert [{n.name for n in layer} for layer in sliced.layers] == [
        {"split"},
        {"train"},
        {"evaluate"},
        {"report"},
    ]
    assert sliced.get_node("split") == ds.get_node("split")


def test_a_slice_can_be_sliced_again(ds: Pipeline) -> None:
    assert names(ds.from_nodes("join").to_nodes("train")) == {"join", "split", "train"}


def test_a_slice_does_not_know_the_removed_nodes(ds: Pipeline) -> None:
    with pytest.raises(PipelineError, match="Node 'join' is not in the pipeline"):
        ds.from_nodes("split").get_node("join")
