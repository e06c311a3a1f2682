"""Plain-dict helpers: deep merge and dotted-key access."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

MISSING: Final = object()
"""Returned by `get_dotted` when the key path is not set."""


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged over it; neither argument is changed.

    Mappings present on both sides are merged key by key; anything else in ``override``
    (scalars, lists, ``None``) replaces the value in ``base``: lists are never concatenated.

    Example:
        >>> deep_merge({"a": {"x": 1, "y": [1]}}, {"a": {"y": [2]}})
        {'a': {'x': 1, 'y': [2]}}
    """
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def get_dotted(data: Any, parts: tuple[str, ...]) -> Any:
    """Return the value at key path ``parts`` in nested mappings, or `MISSING`."""
    for part in parts:
        if not isinstance(data, Mapping):
            return MISSING
        data = _lookup(data, part)
        if data is MISSING:
            return MISSING
    return data


def _lookup(data: Mapping[Any, Any], part: str) -> Any:
    if part in data:
        return data[part]
    for key, value in data.items():  # YAML keys may be ints or bools: match their text
        if str(key) == part:
            return value
    return MISSING


def nest_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``{"a.b": 1}`` into ``{"a": {"b": 1}}``; nested mappings are merged too.

    Example:
        >>> nest_dotted({"model.alpha": 0.1, "model": {"beta": 2}})
        {'model': {'alpha': 0.1, 'beta': 2}}
    """
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        item = nest_dotted(value) if isinstance(value, Mapping) else value
        for part in reversed(str(key).split(".")):
            item = {part: item}
        nested = deep_merge(nested, item)
    return nested


def dotted_keys(data: Mapping[Any, Any], prefix: str = "") -> Iterator[str]:
    """Yield the dotted path of every key in nested mappings, parents before children."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, Mapping):
            yield from dotted_keys(value, path + ".")
