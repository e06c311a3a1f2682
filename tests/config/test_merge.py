"""Property tests for the deep merge and dotted-key helpers."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from datamill.config import deep_merge
from datamill.config._merge import MISSING, dotted_keys, get_dotted, nest_dotted

keys = st.sampled_from(["a", "b", "c", "d"])
leaves = st.one_of(
    st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=3)
)
trees = st.recursive(
    st.dictionaries(keys, leaves, max_size=4),
    lambda children: st.dictionaries(keys, st.one_of(leaves, children), max_size=4),
    max_leaves=20,
)


def _leaf_paths(tree: dict[str, Any]) -> list[tuple[str, ...]]:
    return [tuple(path.split(".")) for path in dotted_keys(tree)]


@given(trees)
def test_merging_a_tree_over_itself_is_identity(tree: dict[str, Any]) -> None:
    assert deep_merge(tree, tree) == tree


@given(trees)
def test_the_empty_tree_is_neutral_on_both_sides(tree: dict[str, Any]) -> None:
    assert deep_merge({}, tree) == tree
    assert deep_merge(tree, {}) == tree


@given(trees, trees)
def test_every_key_reads_the_override_if_set_else_the_base(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    merged = deep_merge(base, override)

    for path in _leaf_paths(base) + _leaf_paths(override):
        if not _parents_are_mappings(override, path):
            continue  # a value in the override above this path replaced the whole subtree
        over = get_dotted(override, path)
        expected = over if over is not MISSING else get_dotted(base, path)
        if not isinstance(expected, dict):  # mappings are checked through their leaves
            assert get_dotted(merged, path) == expected


def _parents_are_mappings(override: dict[str, Any], path: tuple[str, ...]) -> bool:
    # A scalar in the override above this path replaces the base's whole subtree.
    return all(
        get_dotted(override, path[:i]) is MISSING
        or isinstance(get_dotted(override, path[:i]), dict)
        for i in range(1, len(path))
    )


# Trees whose keys always hold the same kind of value: "m*" keys hold mappings, "x*" keys
# hold leaves. (Where one layer puts a leaf and another a mapping under the same key, the
# merge is deliberately not associative: a leaf replaces a mapping, a mapping merges into one.)
shaped_trees = st.recursive(
    st.dictionaries(st.sampled_from(["x1", "x2"]), leaves, max_size=2),
    lambda children: st.builds(
        lambda subtrees, values: {**subtrees, **values},
        st.dictionaries(st.sampled_from(["m1", "m2"]), children, max_size=2),
        st.dictionaries(st.sampled_from(["x1", "x2"]), leaves, max_size=2),
    ),
    max_leaves=8,
)


@given(shaped_trees, shaped_trees, shaped_trees)
def test_merging_trees_of_one_shape_is_associative(
    a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]
) -> None:
    assert deep_merge(deep_merge(a, b), c) == deep_merge(a, deep_merge(b, c))


@given(trees, trees)
def test_merging_never_changes_its_arguments(base: dict[str, Any], over: dict[str, Any]) -> None:
    before = (repr(base), repr(over))

    deep_merge(base, over)

    assert (repr(base), repr(over)) == before


@given(trees)
def test_nesting_flattened_keys_restores_the_tree(tree: dict[str, Any]) -> None:
    flat = {
        path: get_dotted(tree, tuple(path.split(".")))
        for path in dotted_keys(tree)
        if not isinstance(get_dotted(tree, tuple(path.split("."))), dict)
    }

    assert nest_dotted(flat) == _without_empty_mappings(tree)


def _without_empty_mappings(tree: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            if value := _without_empty_mappings(value):
                out[key] = value
        else:
            out[key] = value
    return out


def test_lists_in_the_override_replace_lists_in_the_base() -> None:
    assert deep_merge({"a": [1, 2], "b": {"c": [3]}}, {"b": {"c": []}}) == {
        "a": [1, 2],
        "b": {"c": []},
    }
