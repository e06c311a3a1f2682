"""Tests for grouping nodes by namespace (the unit of deployment)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from datamill.errors import PipelineError
from datamill.pipeline import Node, NodeGroup, Pipeline, group_by_namespace, node
from tests.resources import funcs


def step(name: str, inputs: str, outputs: str, namespace: str | None = None) -> Node:
    return node(funcs.identity, inputs, outputs, name=name, namespace=namespace)


def deployable() -> Pipeline:
    """prep.load -> prep.clean.clean -> train.fit -> {publish, eval.x.score}."""
    return Pipeline(
        [
            step("score", "model", "metrics", "eval.x"),
            step("publish", "model", "published"),
            step("fit", "p2", "model", "train"),
            step("clean", "p1", "p2", "prep.clean"),
            step("load", "raw", "p1", "prep"),
        ]
    )


def members(groups: dict[str, NodeGroup]) -> dict[str, list[str]]:
    return {name: [n.name for n in g.nodes] for name, g in groups.items()}


def test_level_one_groups_by_the_first_namespace_part() -> None:
    groups = group_by_namespace(deployable(), 1)

    assert members(groups) == {
        "prep": ["prep.load", "prep.clean.clean"],
        "train": ["train.fit"],
        "publish": ["publish"],
        "eval": ["eval.x.score"],
    }


def test_level_defaults_to_one() -> None:
    assert group_by_namespace(deployable()) == group_by_namespace(deployable(), 1)


def test_level_two_splits_nested_namespaces() -> None:
    groups = group_by_namespace(deployable(), 2)

    assert set(groups) == {"prep", "prep.clean", "train", "publish", "eval.x"}
    assert members(groups)["prep"] == ["prep.load"]
    assert members(groups)["prep.clean"] == ["prep.clean.clean"]


def test_a_level_deeper_than_every_namespace_groups_by_full_namespace() -> None:
    groups = group_by_namespace(deployable(), 10)

    assert set(groups) == {"prep", "prep.clean", "train", "publish", "eval.x"}


def test_a_node_without_namespace_is_a_group_named_after_it() -> None:
    group = group_by_namespace(deployable())["publish"]

    assert group.name == "publish"
    assert [n.name for n in group.nodes] == ["publish"]


def test_group_dependencies_follow_the_datasets_between_groups() -> None:
    groups = group_by_namespace(deployable())

    assert {name: set(g.depends_on) for name, g in groups.items()} == {
        "prep": set(),
        "train": {"prep"},
        "publish": {"train"},
        "eval": {"train"},
    }


def test_a_group_does_not_depend_on_itself() -> None:
    # prep.load feeds prep.clean.clean: an edge inside the group.
    assert "prep" not in group_by_namespace(deployable())["prep"].depends_on


def test_groups_come_after_the_groups_they_depend_on() -> None:
    for level in (1, 2):
        groups = group_by_namespace(deployable(), level)
        order = list(groups)
        for name, group in groups.items():
            assert all(order.index(dep) < order.index(name) for dep in group.depends_on)


def test_group_nodes_are_in_topological_order() -> None:
    p = deployable()
    position = {n.name: i for i, n in enumerate(p.nodes)}

    for group in group_by_namespace(p).values():
        indices = [position[n.name] for n in group.nodes]
        assert indices == sorted(indices)


def test_groups_partition_the_nodes() -> None:
    p = deployable()

    grouped = [n for g in group_by_namespace(p).values() for n in g.nodes]

    assert sorted(n.name for n in grouped) == sorted(n.name for n in p.nodes)


def test_pipeline_method_is_the_same_grouping() -> None:
    p = deployable()

    assert p.group_by_namespace(2) == group_by_namespace(p, 2)
    assert p.group_by_namespace() == group_by_namespace(p)


def test_an_empty_pipeline_has_no_groups() -> None:
    assert group_by_namespace(Pipeline()) == {}


def test_node_groups_are_frozen() -> None:
    group = group_by_namespace(deployable())["train"]

    with pytest.raises(dataclasses.FrozenInstanceError):
        group.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("level", [0, -1])
def test_level_must_be_at_least_one(level: int) -> None:
    with pytest.raises(ValueError, match=f"level must be at least 1, got {level}"):
        group_by_namespace(deployable(), level)


def test_a_grouping_that_creates_a_cycle_is_rejected_with_the_path() -> None:
    # Valid as nodes (a.n1 -> m -> a.n2), but group 'a' both feeds and needs 'm'.
    p = Pipeline([step("n1", "x", "y", "a"), step("m", "y", "z"), step("n2", "z", "w", "a")])

    with pytest.raises(PipelineError, match="creates a cycle between groups") as exc:
        group_by_namespace(p)

    (path,) = exc.value.problems
    assert path in {"'a' -> 'm' -> 'a'", "'m' -> 'a' -> 'm'"}
    assert path in str(exc.value)


def test_a_longer_group_cycle_is_reported_in_order() -> None:
    p = Pipeline(
        [
            step("n1", "x", "y", "a"),
            step("n2", "y", "z", "b"),
            step("n3", "z", "v", "c"),
            step("n4", "v", "w", "a"),
        ]
    )

    with pytest.raises(PipelineError) as exc:
        group_by_namespace(p)

    rotations = {"'a' -> 'b' -> 'c' -> 'a'", "'b' -> 'c' -> 'a' -> 'b'", "'c' -> 'a' -> 'b' -> 'c'"}
    assert exc.value.problems[0] in rotations


def test_group_cycle_error_suggests_a_finer_level() -> None:
    p = Pipeline(
        [step("n1", "x", "y", "a.one"), step("m", "y", "z"), step("n2", "z", "w", "a.two")]
    )

    with pytest.raises(PipelineError, match=re.escape("deploy with a finer level")):
        group_by_namespace(p, 1)
    assert list(group_by_namespace(p, 2)) == ["a.one", "m", "a.two"]


def test_a_node_named_like_a_namespace_is_not_merged_into_that_group() -> None:
    # The node 'prep' (no namespace) and the namespace 'prep' are unrelated, but both get
    # the group key 'prep': one deployment task would silently run both. The clash should
    # be reported, naming it.
    p = Pipeline([step("prep", "raw", "a"), step("load", "a", "b", "prep")])

    with pytest.raises(PipelineError, match="'prep'"):
        group_by_namespace(p)
