"""Tests for pipelines: construction, validation, set algebra, dataset queries and order."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from collections.abc import Sequence

import pytest

from datamill.errors import DatamillError, PipelineError
from datamill.pipeline import Node, Pipeline, PipelineGraph, node
from tests.resources import funcs
from tests.resources.pipeline_examples import DATA_SCIENCE_LAYERS, data_science


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


def unknown(kind: str, name: str, guess: str) -> str:
    """The pattern of the error for an unknown name with a did-you-mean suggestion."""
    return re.escape(f"{kind} {name!r} is not in the pipeline. Did you mean {guess!r}?")


def step(name: str, inputs: str | list[str] | None, outputs: str | list[str] | None) -> Node:
    """A node named ``name`` that takes any number of positional inputs."""
    return node(funcs.combine, inputs, outputs, name=name)


def cycle_renderings(edges: Sequence[tuple[str, str]]) -> set[str]:
    """Every rotation of a cycle ``[(node, dataset it passes on), ...]`` as ``'a' -[x]-> ...``."""
    result = set()
    for k in range(len(edges)):
        rotated = [*edges[k:], *edges[:k]]
        parts = [repr(rotated[0][0])]
        for i, (_, dataset) in enumerate(rotated):
            parts.append(f"-[{dataset}]-> {rotated[(i + 1) % len(rotated)][0]!r}")
        result.add(" ".join(parts))
    return result


# -- construction --------------------------------------------------------------------------


def test_empty_pipeline() -> None:
    p = Pipeline()

    assert len(p) == 0
    assert p.nodes == ()
    assert p.layers == ()
    assert p.inputs() == set()
    assert p.outputs() == set()


def test_nested_pipelines_are_flattened() -> None:
    a = Pipeline([step("a", "x", "y")])
    b = Pipeline([step("b", "y", "z"), a])

    p = Pipeline([b, step("c", "z", "w")])

    assert names(p) == {"a", "b", "c"}
    assert all(isinstance(n, Node) for n in p.nodes)


def test_the_same_node_given_twice_counts_once() -> None:
    n = step("a", "x", "y")

    assert len(Pipeline([n, n, Pipeline([n])])) == 1


def test_equal_nodes_built_separately_count_once() -> None:
    p = Pipeline([step("a", "x", "y"), step("a", "x", "y")])

    assert len(p) == 1


def test_pipeline_accepts_any_iterable_of_nodes() -> None:
    p = Pipeline(step(name, None, f"{name}_out") for name in "abc")

    assert names(p) == {"a", "b", "c"}


def test_a_single_node_is_not_an_iterable_of_nodes() -> None:
    with pytest.raises(TypeError, match=r"iterable of nodes and pipelines, e\.g\. \[node_a\]"):
        Pipeline(step("a", "x", "y"))  # type: ignore[arg-type]


def test_a_single_pipeline_is_not_an_iterable_of_nodes() -> None:
    with pytest.raises(TypeError, match="iterable of nodes"):
        Pipeline(Pipeline([step("a", "x", "y")]))


def test_functions_are_rejected_with_a_hint_to_wrap_them() -> None:
    with pytest.raises(TypeError, match=r"got function: .*Wrap functions with node\("):
        Pipeline([funcs.identity])  # type: ignore[list-item]


def test_strings_are_rejected() -> None:
    with pytest.raises(TypeError, match="accepts nodes and pipelines only, got str"):
        Pipeline(["identity"])  # type: ignore[list-item]


def test_tags_argument_tags_every_node() -> None:
    p = Pipeline([step("a", "x", "y"), node(funcs.identity, "y", "z", tags="own")], tags="all")

    assert all("all" in n.tags for n in p.nodes)
    assert p.get_node("identity__z").tags == frozenset({"own", "all"})


def test_tags_argument_accepts_several_tags() -> None:
    p = Pipeline([step("a", "x", "y")], tags=["t1", "t2"])

    assert p.get_node("a").tags == frozenset({"t1", "t2"})


def test_tags_argument_is_validated() -> None:
    with pytest.raises(ValueError, match="Tag 'not valid' is invalid"):
        Pipeline([step("a", "x", "y")], tags=["not valid"])


# -- validation ----------------------------------------------------------------------------


def test_two_nodes_with_the_same_name_are_rejected() -> None:
    with pytest.raises(PipelineError) as exc:
        Pipeline([node(funcs.identity, "x", "y", name="clean"), step("clean", "x", "z")])

    (problem,) = exc.value.problems
    assert "Two different nodes are named 'clean' (identity and combine)" in problem
    assert "another name= or a namespace" in problem


def test_duplicate_name_error_carries_the_node_name() -> None:
    with pytest.raises(PipelineError) as exc:
        Pipeline([node(funcs.identity, "x", "y", name="clean"), step("clean", "x", "z")])

    assert exc.value.node_names == ("clean",)


def test_a_dataset_with_two_producers_is_rejected() -> None:
    with pytest.raises(PipelineError) as exc:
        Pipeline([step("first", "a", "shared"), step("second", "b", "shared")])

    (problem,) = exc.value.problems
    assert "Dataset 'shared' is produced by two nodes, 'first' and 'second'" in problem
    assert set(exc.value.node_names) == {"first", "second"}


def test_every_naming_problem_is_reported_in_one_error() -> None:
    nodes = [
        step("a", None, ["x", "y"]),
        step("b", None, "x"),
        step("c", None, "y"),
        node(funcs.no_arguments, None, "z", name="a"),
    ]

    with pytest.raises(PipelineError) as exc:
        Pipeline(nodes)

    assert len(exc.value.problems) == 3
    message = str(exc.value)
    assert message.startswith("3 problem(s) in a pipeline of 4 nodes:")
    for fragment in ["'x'", "'y'", "named 'a'"]:
        assert fragment in message


def test_validation_errors_are_datamill_errors() -> None:
    with pytest.raises(DatamillError):
        Pipeline([step("a", None, "x"), step("b", None, "x")])


def test_a_two_node_cycle_is_reported_as_a_path() -> None:
    with pytest.raises(PipelineError, match="The pipeline has a cycle") as exc:
        Pipeline([step("a", "y", "x"), step("b", "x", "y")])

    message = str(exc.value)
    assert any(path in message for path in cycle_renderings([("a", "x"), ("b", "y")]))
    assert set(exc.value.node_names) == {"a", "b"}


def test_a_longer_cycle_is_reported_in_edge_order_without_the_nodes_around_it() -> None:
    nodes = [
        step("source", "raw", "clean"),
        step("p", ["clean", "r_out"], "p_out"),
        step("q", "p_out", "q_out"),
        step("r", "q_out", "r_out"),
        step("sink", "r_out", "report"),
    ]

    with pytest.raises(PipelineError) as exc:
        Pipeline(nodes)

    message = str(exc.value)
    expected = cycle_renderings([("p", "p_out"), ("q", "q_out"), ("r", "r_out")])
    assert any(path in message for path in expected), message
    assert "'source'" not in message
    assert "'sink'" not in message
    assert sorted(exc.value.node_names) == ["p", "q", "r"]


def test_a_cycle_reached_only_through_other_nodes_is_found() -> None:
    # The first node in the given order is downstream of the cycle, not on it.
    nodes = [
        step("after", "b_out", "end"),
        step("a", "b_out", "a_out"),
        step("b", "a_out", "b_out"),
    ]

    with pytest.raises(PipelineError) as exc:
        Pipeline(nodes)

    message = str(exc.value)
    assert any(path in message for path in cycle_renderings([("a", "a_out"), ("b", "b_out")]))
    assert "'after'" not in message


def test_a_node_feeding_itself_after_renaming_is_rejected() -> None:
    original = node(funcs.identity, "a", "b", name="loop")

    with pytest.raises(PipelineError, match="node 'loop' makes it invalid") as exc:
        original.with_changes(rename=lambda _: "x")

    assert "Dataset 'x' is both an input and an output" in exc.value.problems[0]
    assert exc.value.node_names == ("loop",)


def test_cycle_message_suggests_the_fix() -> None:
    with pytest.raises(PipelineError, match="break the cycle by renaming a dataset"):
        Pipeline([step("a", "y", "x"), step("b", "x", "y")])


# -- set algebra ---------------------------------------------------------------------------


@pytest.fixture
def abc() -> tuple[Pipeline, Pipeline, Pipeline]:
    a = Pipeline([step("a1", "raw", "a_out"), step("shared", "a_out", "s_out")])
    b = Pipeline([step("shared", "a_out", "s_out"), step("b1", "s_out", "b_out")])
    c = Pipeline([step("c1", "b_out", "c_out")])
    return a, b, c


def test_add_is_the_union(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, b, _ = abc

    assert names(a + b) == {"a1", "shared", "b1"}


def test_or_is_the_union(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, b, _ = abc

    assert a | b == a + b


def test_sub_is_the_difference(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, b, _ = abc

    assert names(a - b) == {"a1"}
    assert names(b - a) == {"b1"}


def test_and_is_the_intersection(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, b, c = abc

    assert names(a & b) == {"shared"}
    assert len(a & c) == 0


def test_sum_of_pipelines(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, b, c = abc

    assert names(sum([a, b, c], Pipeline())) == {"a1", "shared", "b1", "c1"}
    assert sum([a, b, c]) == a + b + c


def test_sum_of_one_pipeline_is_that_pipeline(abc: tuple[Pipeline, Pipeline, Pipeline]) -> None:
    a, _, _ = abc

    assert sum([a]) == a


def test_algebra_returns_new_pipelines_and_leaves_operands_alone(
    abc: tuple[Pipeline, Pipeline, Pipeline],
) -> None:
    a, b, _ = abc
    before_a, before_b = names(a), names(b)

    results = [a + b, a - b, a & b, a | b]

    assert all(r is not a and r is not b for r in results)
    assert names(a) == before_a
    assert names(b) == before_b


def test_union_is_validated() -> None:
    a = Pipeline([step("a", None, "x")])
    b = Pipeline([step("b", None, "x")])

    with pytest.raises(PipelineError, match="'x' is produced by two nodes, 'a' and 'b'"):
        a + b


def test_union_can_close_a_cycle() -> None:
    a = Pipeline([step("a", "y", "x")])
    b = Pipeline([step("b", "x", "y")])

    with pytest.raises(PipelineError, match="cycle"):
        a + b


@pytest.mark.parametrize("other", [step("n", "x", "y"), [step("n", "x", "y")], "n", 1, None])
def test_algebra_with_a_non_pipeline_is_a_type_error(other: object) -> None:
    p = Pipeline([step("a", None, "x")])

    with pytest.raises(TypeError):
        p + other
    with pytest.raises(TypeError):
        p - other
    with pytest.raises(TypeError):
        p & other
    with pytest.raises(TypeError):
        p | other
    with pytest.raises(TypeError):
        other + p


def test_equality_ignores_the_order_nodes_were_given_in() -> None:
    nodes = [step("a", "x", "y"), step("b", "y", "z"), step("c", "x", "w")]

    p = Pipeline(nodes)
    q = Pipeline(list(reversed(nodes)))

    assert p == q
    assert hash(p) == hash(q)
    assert {p: 1}[q] == 1


def test_pipelines_with_different_nodes_are_unequal() -> None:
    assert Pipeline([step("a", "x", "y")]) != Pipeline([step("a", "x", "z")])


def test_a_pipeline_is_not_equal_to_its_node_list() -> None:
    nodes = [step("a", "x", "y")]

    assert Pipeline(nodes) != nodes


# -- datasets ------------------------------------------------------------------------------


def test_inputs_are_consumed_but_not_produced() -> None:
    assert data_science().inputs() == {
        "raw_companies",
        "raw_shuttles",
        "params:model.alpha",
        "parameters",
    }


def test_outputs_are_produced_but_not_consumed() -> None:
    assert data_science().outputs() == {"report"}


def test_all_inputs_and_all_outputs() -> None:
    p = data_science()

    assert p.all_inputs() == {
        "raw_companies",
        "raw_shuttles",
        "companies",
        "shuttles",
        "model_input",
        "train_set",
        "test_set",
        "model",
        "metrics",
        "params:model.alpha",
        "parameters",
    }
    assert p.all_outputs() == {
        "companies",
        "shuttles",
        "model_input",
        "train_set",
        "test_set",
        "model",
        "metrics",
        "report",
    }


def test_datasets_is_every_dataset_touched() -> None:
    p = data_science()

    assert p.datasets() == p.all_inputs() | p.all_outputs()
    assert "report" in p.datasets()
    assert "parameters" in p.datasets()


def test_parameters_are_the_parameter_inputs() -> None:
    assert data_science().parameters() == {"params:model.alpha", "parameters"}


def test_an_unused_node_output_is_a_pipeline_output() -> None:
    p = Pipeline([step("a", "x", ["y", "unused"]), step("b", "y", "z")])

    assert p.outputs() == {"unused", "z"}


def test_dataset_sets_are_copies() -> None:
    p = data_science()

    for query in (p.inputs, p.outputs, p.all_inputs, p.all_outputs, p.datasets, p.parameters):
        query().add("mutated")
        assert "mutated" not in query()


def test_tags_is_every_tag() -> None:
    assert data_science().tags() == {"ingest", "features", "train", "report"}


def test_namespaces_include_the_enclosing_ones() -> None:
    p = Pipeline(
        [
            node(funcs.identity, "x", "y", namespace="a.b.c"),
            node(funcs.identity, "y", "z", namespace="d"),
            node(funcs.identity, "z", "w"),
        ]
    )

    assert p.namespaces() == {"a", "a.b", "a.b.c", "d"}


def test_a_pipeline_without_namespaces_has_none() -> None:
    assert data_science().namespaces() == set()


# -- order, layers and graph ---------------------------------------------------------------


def _assert_topological(p: Pipeline) -> None:
    position = {n.name: i for i, n in enumerate(p.nodes)}
    for n in p.nodes:
        for dataset in n.inputs:
            producer = p.producer_of(dataset)
            if producer is not None:
                assert position[producer.name] < position[n.name]


def test_nodes_are_in_topological_order() -> None:
    _assert_topological(data_science())


def test_nodes_given_in_reverse_come_out_in_topological_order() -> None:
    p = Pipeline(list(reversed(data_science().nodes)))

    _assert_topological(p)
    assert p == data_science()


def test_layers_group_nodes_by_depth() -> None:
    layers = [{n.name for n in layer} for layer in data_science().layers]

    assert layers == DATA_SCIENCE_LAYERS


def test_a_node_is_layered_by_its_longest_path() -> None:
    p = Pipeline([step("a", None, "x"), step("b", "x", "y"), step("c", ["x", "y"], "z")])

    assert [[n.name for n in layer] for layer in p.layers] == [["a"], ["b"], ["c"]]


def test_independent_nodes_share_the_first_layer() -> None:
    p = Pipeline([step(name, f"in_{name}", f"out_{name}") for name in "abc"])

    assert len(p.layers) == 1
    assert {n.name for n in p.layers[0]} == {"a", "b", "c"}


def test_layers_flatten_to_the_topological_order() -> None:
    p = data_science()

    assert tuple(n for layer in p.layers for n in layer) == p.nodes


def test_graph_is_an_index_view_of_the_nodes() -> None:
    p = data_science()
    g = p.graph

    assert isinstance(g, PipelineGraph)
    assert g.nodes == p.nodes
    assert {g.nodes[i].name for i in g.parents[g.position["evaluate"]]} == {"train", "split"}
    assert {g.nodes[i].name for i in g.children[g.position["split"]]} == {"train", "evaluate"}
    assert g.nodes[g.producer["model"]].name == "train"
    assert {g.nodes[i].name for i in g.consumers["test_set"]} == {"evaluate"}
    assert [{g.nodes[i].name for i in layer} for layer in g.layers] == DATA_SCIENCE_LAYERS


def test_graph_parents_and_children_mirror_each_other() -> None:
    g = data_science().graph

    edges_down = {(p, c) for p, cs in enumerate(g.children) for c in cs}
    edges_up = {(p, c) for c, ps in enumerate(g.parents) for p in ps}
    assert edges_down == edges_up


def test_graph_lists_a_parent_once_even_if_it_feeds_several_inputs() -> None:
    p = Pipeline([step("a", None, ["x", "y"]), step("b", ["x", "y", "x"], "z")])

    assert p.graph.parents[p.graph.position["b"]] == (p.graph.position["a"],)
    assert p.graph.children[p.graph.position["a"]] == (p.graph.position["b"],)


def test_node_dependencies_map_each_node_to_its_direct_parents() -> None:
    p = data_science()

    deps = {n.name: {d.name for d in ds} for n, ds in p.node_dependencies.items()}

    assert deps == {
        "ingest_companies": set(),
        "ingest_shuttles": set(),
        "join": {"ingest_companies", "ingest_shuttles"},
        "split": {"join"},
        "train": {"split"},
        "evaluate": {"train", "split"},
        "report": {"evaluate"},
    }


# -- lookups -------------------------------------------------------------------------------


def test_get_node_by_name() -> None:
    n = data_science().get_node("train")

    assert n.name == "train"
    assert n.outputs == ("model",)


def test_get_node_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(PipelineError, match=unknown("Node", "trian", "train")):
        data_science().get_node("trian")


def test_get_node_unknown_name_without_a_close_match() -> None:
    with pytest.raises(PipelineError) as exc:
        data_science().get_node("zzzz")

    assert str(exc.value) == "Node 'zzzz' is not in the pipeline."


def test_producer_of_a_dataset() -> None:
    producer = data_science().producer_of("train_set")

    assert producer is not None
    assert producer.name == "split"


def test_producer_of_a_pipeline_input_is_none() -> None:
    assert data_science().producer_of("raw_companies") is None
    assert data_science().producer_of("params:model.alpha") is None


def test_producer_of_an_unknown_dataset_suggests_the_closest() -> None:
    with pytest.raises(PipelineError, match=unknown("Dataset", "modle", "model")):
        data_science().producer_of("modle")


def test_consumers_of_a_dataset() -> None:
    assert [n.name for n in data_science().consumers_of("model")] == ["evaluate"]


def test_consumers_of_a_final_output_is_empty() -> None:
    assert data_science().consumers_of("report") == ()


def test_consumers_of_an_unknown_dataset_suggests_the_closest() -> None:
    with pytest.raises(PipelineError, match=unknown("Dataset", "metric", "metrics")):
        data_science().consumers_of("metric")


def test_consumers_of_lists_consumers_in_topological_order() -> None:
    # 'late' is given first but depends on 'early': both consume 'x'.
    p = Pipeline([step("late", ["x", "e"], "l"), step("early", "x", "e")])

    assert [n.name for n in p.consumers_of("x")] == ["early", "late"]


def test_consumers_of_lists_a_node_once_even_if_it_reads_the_dataset_twice() -> None:
    p = Pipeline([step("twice", ["x", "x"], "y")])

    assert [n.name for n in p.consumers_of("x")] == ["twice"]


def test_contains_nodes_and_node_names() -> None:
    p = data_science()

    assert "train" in p
    assert p.get_node("train") in p
    assert "model" not in p
    assert step("train", "x", "y") not in p
    assert 3 not in p


def test_len_and_iteration_follow_the_topological_order() -> None:
    p = data_science()

    assert len(p) == 7
    assert tuple(iter(p)) == p.nodes


def test_repr_lists_node_names() -> None:
    assert repr(Pipeline([step("a", None, "x")])) == "Pipeline(['a'])"


def test_repr_of_a_large_pipeline_is_cut() -> None:
    p = Pipeline([step(f"n{i}", None, f"d{i}") for i in range(8)])

    assert repr(p).endswith(", ... (8 nodes)])")
    assert repr(p).count("'n") == 5


# -- immutability --------------------------------------------------------------------------


def test_nodes_cannot_be_reassigned() -> None:
    p = data_science()

    with pytest.raises(AttributeError):
        p.nodes = ()  # type: ignore[misc]
    assert isinstance(p.nodes, tuple)
    assert len(p) == 7


def test_graph_is_frozen() -> None:
    g = data_science().graph

    with pytest.raises(dataclasses.FrozenInstanceError):
        g.nodes = ()  # type: ignore[misc]


def test_graph_mappings_are_read_only() -> None:
    p = data_science()

    with pytest.raises(TypeError):
        p.graph.producer["made_up"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        p.graph.position["made_up"] = 0  # type: ignore[index]
    with pytest.raises(TypeError):
        p.graph.consumers["made_up"] = ()  # type: ignore[index]
    assert "made_up" not in p.datasets()


def test_layers_cannot_be_reassigned() -> None:
    p = data_science()

    with pytest.raises(AttributeError):
        p.layers = ()  # type: ignore[misc]
    assert len(p.layers) == len(DATA_SCIENCE_LAYERS)


# -- pickling and copying ------------------------------------------------------------------


def test_pipeline_survives_pickling() -> None:
    # Pipelines travel to worker processes and cluster schedulers.
    p = data_science()

    restored = pickle.loads(pickle.dumps(p))

    assert restored == p
    assert [n.name for n in restored.nodes] == [n.name for n in p.nodes]
    assert restored.inputs() == p.inputs()
    assert restored.get_node("train") == p.get_node("train")


def test_pipeline_graph_survives_pickling() -> None:
    g = data_science().graph

    assert pickle.loads(pickle.dumps(g)) == g


def test_pipeline_can_be_deep_copied() -> None:
    p = data_science()

    assert copy.deepcopy(p) == p
