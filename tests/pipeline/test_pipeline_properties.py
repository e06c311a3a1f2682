"""Property-based tests for pipelines: order, layers, algebra, slicing, reuse and grouping.

Random pipelines are DAGs built node by node: node ``i`` consumes a random subset of the
datasets produced by earlier nodes plus some free inputs and parameters, and carries random
tags and a random namespace. Structural properties are checked against naive oracles
computed from the nodes' inputs and outputs, not against the pipeline's own graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from datamill.errors import PipelineError
from datamill.pipeline import Node, NodeGroup, Pipeline, group_by_namespace, node, pipeline
from tests.resources import funcs

FREE_INPUTS = ["raw_a", "raw_b", "params:p.x", "params:q", "parameters"]
TAGS = ["t1", "t2", "t3"]
NAMESPACES = [None, None, "a", "a.b", "c", "c.d.e"]

PROPERTY = settings(max_examples=75, deadline=None)


# -- strategies ----------------------------------------------------------------------------


# Strategies built once: drawing from a cached strategy is much faster than building a new
# one per node, which keeps the whole module fast.
_PICKS = st.lists(st.integers(0, 63), max_size=4)
_OUTPUT_COUNT = st.integers(0, 2)
_TAG_SETS = st.frozensets(st.sampled_from(TAGS), max_size=2)
_NAMESPACE = st.sampled_from(NAMESPACES)


def _pick(draw: st.DrawFn, pool: list[str]) -> list[str]:
    """Up to four distinct names from ``pool``."""
    return list(dict.fromkeys(pool[k % len(pool)] for k in draw(_PICKS)))


@st.composite
def dag_nodes(draw: st.DrawFn, min_nodes: int = 0, max_nodes: int = 10) -> list[Node]:
    """The nodes of a random DAG, in construction (topological) order."""
    count = draw(st.integers(min_nodes, max_nodes))
    produced: list[str] = []
    nodes = []
    for i in range(count):
        inputs = _pick(draw, produced * 3 + FREE_INPUTS)  # favour edges over free inputs
        outputs = [f"d{i}_{k}" for k in range(draw(_OUTPUT_COUNT))]
        tags, namespace = draw(_TAG_SETS), draw(_NAMESPACE)
        nodes.append(
            node(funcs.combine, inputs, outputs, name=f"n{i}", tags=tags, namespace=namespace)
        )
        produced.extend(outputs)
    return nodes


@st.composite
def pipelines(draw: st.DrawFn, min_nodes: int = 0, max_nodes: int = 10) -> Pipeline:
    """A random DAG pipeline, its nodes given in a random order."""
    nodes = draw(dag_nodes(min_nodes, max_nodes))
    return Pipeline(draw(st.permutations(nodes)))


@st.composite
def any_graph_nodes(draw: st.DrawFn) -> list[Node]:
    """Nodes wired at random, in any direction: the graph may have cycles."""
    count = draw(st.integers(1, 7))
    outputs = [f"d{i}" for i in range(count)]
    nodes = []
    for i in range(count):
        inputs = _pick(draw, [d for d in outputs if d != outputs[i]] + ["raw"])
        nodes.append(node(funcs.combine, inputs, outputs[i], name=f"n{i}"))
    return nodes


def sub_pipeline(data: st.DataObject, p: Pipeline) -> Pipeline:
    """A random subset of the nodes of ``p``."""
    if not len(p):
        return Pipeline()
    chosen = data.draw(st.sets(st.sampled_from([n.name for n in p.nodes])))
    return p.only_nodes(*chosen)


def some(data: st.DataObject, pool: Iterable[str], max_size: int = 3) -> list[str]:
    """A non-empty random selection from ``pool`` (which must not be empty)."""
    return data.draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=max_size))


# -- oracles -------------------------------------------------------------------------------


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


def parents_of(p: Pipeline) -> dict[str, set[str]]:
    producer = {d: n.name for n in p.nodes for d in n.outputs}
    return {n.name: {producer[d] for d in n.inputs if d in producer} for n in p.nodes}


def children_of(p: Pipeline) -> dict[str, set[str]]:
    children: dict[str, set[str]] = {n.name: set() for n in p.nodes}
    for child, parents in parents_of(p).items():
        for parent in parents:
            children[parent].add(child)
    return children


def closure(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    result = set(start)
    frontier = list(result)
    while frontier:
        for nxt in edges[frontier.pop()]:
            if nxt not in result:
                result.add(nxt)
                frontier.append(nxt)
    return result


def edge_count(p: Pipeline) -> int:
    return sum(len(ps) for ps in parents_of(p).values())


def has_cycle(nodes: list[Node]) -> bool:
    producer = {d: n.name for n in nodes for d in n.outputs}
    waiting = {n.name: {producer[d] for d in n.inputs if d in producer} for n in nodes}
    while waiting:
        ready = [name for name, ps in waiting.items() if not ps & waiting.keys()]
        if not ready:
            return True
        for name in ready:
            del waiting[name]
    return False


def try_pipeline(nodes: list[Node]) -> Pipeline | PipelineError:
    try:
        return Pipeline(nodes)
    except PipelineError as exc:
        return exc


def try_filter(p: Pipeline, options: dict[str, list[str]]) -> Pipeline | PipelineError:
    try:
        return p.filter(**options)
    except PipelineError as exc:
        return exc


def try_grouping(p: Pipeline, level: int) -> dict[str, NodeGroup] | PipelineError:
    try:
        return group_by_namespace(p, level)
    except PipelineError as exc:
        return exc


# -- order, layers and graph ---------------------------------------------------------------


@PROPERTY
@given(pipelines())
def test_topological_order_respects_every_edge(p: Pipeline) -> None:
    position = {n.name: i for i, n in enumerate(p.nodes)}

    for child, parents in parents_of(p).items():
        assert all(position[parent] < position[child] for parent in parents)


@PROPERTY
@given(pipelines())
def test_layers_partition_the_nodes_by_longest_path(p: Pipeline) -> None:
    layer_of = {n.name: k for k, layer in enumerate(p.layers) for n in layer}
    parents = parents_of(p)

    assert sorted(layer_of) == sorted(names(p))
    assert sum(len(layer) for layer in p.layers) == len(p)
    assert all(p.layers)
    for name, k in layer_of.items():
        assert all(layer_of[parent] < k for parent in parents[name])
        if k > 0:
            assert any(layer_of[parent] == k - 1 for parent in parents[name])


@PROPERTY
@given(pipelines())
def test_layers_concatenate_to_the_topological_order(p: Pipeline) -> None:
    assert tuple(n for layer in p.layers for n in layer) == p.nodes


@PROPERTY
@given(pipelines())
def test_graph_and_dependencies_match_the_datasets(p: Pipeline) -> None:
    g = p.graph
    expected_parents = parents_of(p)
    expected_children = children_of(p)

    for i, n in enumerate(g.nodes):
        assert g.position[n.name] == i
        assert {g.nodes[j].name for j in g.parents[i]} == expected_parents[n.name]
        assert {g.nodes[j].name for j in g.children[i]} == expected_children[n.name]
        assert len(set(g.parents[i])) == len(g.parents[i])
    deps = {n.name: {d.name for d in ds} for n, ds in p.node_dependencies.items()}
    assert deps == expected_parents


@PROPERTY
@given(pipelines())
def test_producers_and_consumers_match_the_datasets(p: Pipeline) -> None:
    for dataset in p.datasets():
        producer = p.producer_of(dataset)
        expected = [n for n in p.nodes if dataset in n.outputs]
        assert len(expected) <= 1
        assert producer == (expected[0] if expected else None)
        consumers = p.consumers_of(dataset)
        assert {n.name for n in consumers} == {n.name for n in p.nodes if dataset in n.inputs}
        positions = [p.nodes.index(n) for n in consumers]
        assert positions == sorted(positions)


@PROPERTY
@given(pipelines())
def test_dataset_queries_follow_their_definitions(p: Pipeline) -> None:
    all_inputs = {d for n in p.nodes for d in n.inputs}
    all_outputs = {d for n in p.nodes for d in n.outputs}

    assert p.all_inputs() == all_inputs
    assert p.all_outputs() == all_outputs
    assert p.inputs() == all_inputs - all_outputs
    assert p.outputs() == all_outputs - all_inputs
    assert p.datasets() == all_inputs | all_outputs
    assert p.parameters() == {d for d in all_inputs if d == "parameters" or d.startswith("params:")}
    assert p.parameters() <= p.inputs()
    assert p.tags() == {t for n in p.nodes for t in n.tags}


@PROPERTY
@given(pipelines())
def test_namespaces_are_every_namespace_prefix(p: Pipeline) -> None:
    expected = set()
    for n in p.nodes:
        if n.namespace is not None:
            parts = n.namespace.split(".")
            expected |= {".".join(parts[:k]) for k in range(1, len(parts) + 1)}

    assert p.namespaces() == expected


@PROPERTY
@given(dag_nodes(), st.data())
def test_building_from_shuffled_nodes_gives_an_equal_pipeline(
    nodes: list[Node], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(nodes))

    p, q = Pipeline(nodes), Pipeline(shuffled)

    assert p == q
    assert hash(p) == hash(q)
    assert [set(layer) for layer in p.layers] == [set(layer) for layer in q.layers]
    assert p.inputs() == q.inputs()
    assert p.outputs() == q.outputs()


@PROPERTY
@given(pipelines())
def test_rebuilding_a_pipeline_gives_an_equal_one(p: Pipeline) -> None:
    assert Pipeline(p.nodes) == p
    assert Pipeline([p]) == p
    assert Pipeline([p, p]) == p
    assert p.only_nodes(*names(p)) == p
    assert pipeline(p) == p


# -- cycles --------------------------------------------------------------------------------

_EDGE = re.compile(r"'([^']+)' -\[([^\]]+)\]-> (?=')")


@settings(max_examples=200, deadline=None)
@given(any_graph_nodes())
def test_a_cycle_is_reported_exactly_when_there_is_one(nodes: list[Node]) -> None:
    result = try_pipeline(nodes)

    assert isinstance(result, PipelineError) == has_cycle(nodes)


@settings(max_examples=200, deadline=None)
@given(any_graph_nodes())
def test_a_reported_cycle_is_a_real_path_of_edges(nodes: list[Node]) -> None:
    result = try_pipeline(nodes)
    if not isinstance(result, PipelineError):
        return
    by_name = {n.name: n for n in nodes}
    path = str(result).split("The pipeline has a cycle: ", 1)[1].split(". A node", 1)[0]
    hops = _EDGE.findall(path)
    last = path.rsplit("-> ", 1)[1].strip("'")

    cycle = [name for name, _ in hops] + [last]
    assert cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for (name, dataset), nxt in zip(hops, cycle[1:], strict=True):
        assert dataset in by_name[name].outputs
        assert dataset in by_name[nxt].inputs
    assert set(result.node_names) == set(cycle)


# -- set algebra ---------------------------------------------------------------------------


@PROPERTY
@given(pipelines(), st.data())
def test_union_and_intersection_are_commutative(p: Pipeline, data: st.DataObject) -> None:
    a, b = sub_pipeline(data, p), sub_pipeline(data, p)

    assert a + b == b + a
    assert a | b == a + b
    assert a & b == b & a
    assert names(a + b) == names(a) | names(b)
    assert names(a & b) == names(a) & names(b)
    assert names(a - b) == names(a) - names(b)


@PROPERTY
@given(pipelines(), st.data())
def test_set_identities(p: Pipeline, data: st.DataObject) -> None:
    a, b = sub_pipeline(data, p), sub_pipeline(data, p)

    assert a & a == a
    assert a + a == a
    assert len(a - a) == 0
    assert len((a - b) & b) == 0
    assert (a - b) + (a & b) == a
    assert (a + b) - b == a - b
    assert a + Pipeline() == a


@PROPERTY
@given(pipelines(), st.data())
def test_union_is_associative_and_sum_agrees(p: Pipeline, data: st.DataObject) -> None:
    a, b, c = sub_pipeline(data, p), sub_pipeline(data, p), sub_pipeline(data, p)

    assert (a + b) + c == a + (b + c)
    assert sum([a, b, c]) == a + b + c
    assert (a + b) & c == (a & c) + (b & c)


# -- slicing -------------------------------------------------------------------------------


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_from_nodes_is_the_downstream_closure(p: Pipeline, data: st.DataObject) -> None:
    chosen = some(data, names(p))
    sliced = p.from_nodes(*chosen)
    kept = names(sliced)

    assert kept == closure(chosen, children_of(p))
    for n in sliced.nodes:
        for out in n.outputs:
            assert {c.name for c in p.consumers_of(out)} <= kept


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_to_nodes_is_the_upstream_closure(p: Pipeline, data: st.DataObject) -> None:
    chosen = some(data, names(p))
    sliced = p.to_nodes(*chosen)

    assert names(sliced) == closure(chosen, parents_of(p))
    assert sliced.inputs() <= p.inputs()


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_from_and_to_the_same_node_meet_at_it(p: Pipeline, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(names(p))))

    assert name in p.from_nodes(name) & p.to_nodes(name)


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_from_inputs_is_from_nodes_of_the_consumers(p: Pipeline, data: st.DataObject) -> None:
    if not p.datasets():
        return
    chosen = some(data, p.datasets())
    consumers = {n.name for d in chosen for n in p.consumers_of(d)}

    assert p.from_inputs(*chosen) == p.from_nodes(*consumers)


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_to_outputs_is_to_nodes_of_the_producers(p: Pipeline, data: st.DataObject) -> None:
    if not p.all_outputs():
        return
    chosen = some(data, p.all_outputs())
    producers = {n.name for n in p.nodes if set(n.outputs) & set(chosen)}

    sliced = p.to_outputs(*chosen)

    assert sliced == p.to_nodes(*producers)
    assert set(chosen) <= sliced.all_outputs()


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_only_nodes_with_tags_selects_by_tag(p: Pipeline, data: st.DataObject) -> None:
    if not p.tags():
        return
    chosen = set(some(data, p.tags()))

    assert names(p.only_nodes_with_tags(*chosen)) == {n.name for n in p.nodes if n.tags & chosen}


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_only_nodes_with_namespaces_selects_nested_nodes(p: Pipeline, data: st.DataObject) -> None:
    if not p.namespaces():
        return
    chosen = some(data, p.namespaces())

    def inside(n: Node) -> bool:
        ns = n.namespace
        return ns is not None and any(ns == c or ns.startswith(c + ".") for c in chosen)

    assert names(p.only_nodes_with_namespaces(*chosen)) == {n.name for n in p.nodes if inside(n)}


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_filter_is_the_intersection_of_the_slices(p: Pipeline, data: st.DataObject) -> None:
    pools = {
        "tags": (p.tags(), p.only_nodes_with_tags),
        "from_nodes": (names(p), p.from_nodes),
        "to_nodes": (names(p), p.to_nodes),
        "node_names": (names(p), p.only_nodes),
        "from_inputs": (p.datasets(), p.from_inputs),
        "to_outputs": (p.all_outputs(), p.to_outputs),
        "node_namespaces": (p.namespaces(), p.only_nodes_with_namespaces),
    }
    options: dict[str, list[str]] = {}
    expected = names(p)
    for option, (pool, method) in pools.items():
        use = data.draw(st.booleans())
        if pool and use:
            options[option] = some(data, pool)
            expected &= names(method(*options[option]))

    result = try_filter(p, options)

    if expected:
        assert isinstance(result, Pipeline)
        assert names(result) == expected
    else:
        assert isinstance(result, PipelineError)
        assert "No node satisfies every filter" in str(result)


@PROPERTY
@given(pipelines(min_nodes=1), st.data())
def test_a_slice_is_a_valid_sub_pipeline(p: Pipeline, data: st.DataObject) -> None:
    chosen = some(data, names(p))

    for sliced in (p.from_nodes(*chosen), p.to_nodes(*chosen), p.only_nodes(*chosen)):
        assert names(sliced) <= names(p)
        assert all(n in p for n in sliced.nodes)
        assert sliced + p == p


# -- modular reuse -------------------------------------------------------------------------


def _namespaced(name: str, ns: str) -> str:
    if name == "parameters":
        return name
    if name.startswith("params:"):
        return f"params:{ns}.{name.removeprefix('params:')}"
    return f"{ns}.{name}"


@PROPERTY
@given(pipelines())
def test_namespacing_keeps_the_shape_and_prefixes_every_name(p: Pipeline) -> None:
    q = pipeline(p, namespace="ns")

    assert len(q) == len(p)
    assert edge_count(q) == edge_count(p)
    assert [len(layer) for layer in q.layers] == [len(layer) for layer in p.layers]
    assert names(q) == {f"ns.{name}" for name in names(p)}
    assert q.datasets() == {_namespaced(d, "ns") for d in p.datasets()}
    assert q.inputs() == {_namespaced(d, "ns") for d in p.inputs()}
    assert q.outputs() == {_namespaced(d, "ns") for d in p.outputs()}
    assert all(n.namespace is not None and n.namespace.split(".")[0] == "ns" for n in q.nodes)


@PROPERTY
@given(pipelines())
def test_namespacing_keeps_listed_inputs_and_prefixes_the_rest(p: Pipeline) -> None:
    kept = {d for d in p.inputs() if not d.startswith("params:") and d != "parameters"}

    q = pipeline(
        p, namespace="ns", inputs=kept, parameters=["p"] if "params:p.x" in p.parameters() else None
    )

    assert kept <= q.inputs()
    for d in q.datasets() - kept:
        if d.startswith("params:"):
            assert d.startswith(("params:ns.", "params:p."))
        else:
            assert d == "parameters" or d.startswith("ns.")
    assert edge_count(q) == edge_count(p)


@PROPERTY
@given(pipelines())
def test_namespaced_copies_combine_without_conflicts(p: Pipeline) -> None:
    shared_inputs = {d for d in p.inputs() if not d.startswith("params:")}

    both = pipeline(p, namespace="x", inputs=shared_inputs) + pipeline(
        p, namespace="y", inputs=shared_inputs
    )

    assert len(both) == 2 * len(p)
    assert edge_count(both) == 2 * edge_count(p)


# -- grouping ------------------------------------------------------------------------------


@PROPERTY
@given(pipelines(), st.integers(1, 3))
def test_grouping_is_consistent_or_reports_a_real_group_cycle(p: Pipeline, level: int) -> None:
    def key(n: Node) -> str:
        return n.name if n.namespace is None else ".".join(n.namespace.split(".")[:level])

    by_name = {n.name: n for n in p.nodes}
    group_edges = {
        (key(by_name[parent]), key(by_name[child]))
        for child, parents in parents_of(p).items()
        for parent in parents
        if key(by_name[parent]) != key(by_name[child])
    }

    result = try_grouping(p, level)

    if isinstance(result, PipelineError):
        (path,) = result.problems
        cycle = re.findall(r"'([^']+)'", path)
        assert cycle[0] == cycle[-1]
        assert all(edge in group_edges for edge in pairwise(cycle))
        return
    assert {n.name for g in result.values() for n in g.nodes} == names(p)
    assert sum(len(g.nodes) for g in result.values()) == len(p)
    for name, group in result.items():
        assert group.name == name
        assert all(key(n) == name for n in group.nodes)
        assert group.depends_on == {a for a, b in group_edges if b == name}
    order = list(result)
    assert all(order.index(a) < order.index(b) for a, b in group_edges)
