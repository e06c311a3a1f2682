"""How Python values become columns: timestamps as sortable text, structures as JSON.

Timestamps are stored in UTC with a fixed width (``2026-11-22T10:15:00.123456+00:00``), so
that comparing the text compares the times and an index on a timestamp column orders runs.
Structures (options, parameters, fingerprint components) are stored as JSON; a value JSON
cannot hold is stored as its ``repr``, and a mapping key that is not a string as its
``str``, so that recording never fails because of an unusual parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["dumps", "from_timestamp", "loads", "to_timestamp"]


def to_timestamp(value: datetime) -> str:
    """``value`` as fixed-width UTC text (``value`` must be aware)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def from_timestamp(text: str) -> datetime:
    """The aware UTC datetime stored as ``text``."""
    return datetime.fromisoformat(text)


def optional_timestamp(value: datetime | None) -> str | None:
    """`to_timestamp`, passing ``None`` through."""
    return None if value is None else to_timestamp(value)


def optional_datetime(text: str | None) -> datetime | None:
    """`from_timestamp`, passing ``None`` through."""
    return None if text is None else from_timestamp(text)


def dumps(value: Any) -> str:
    """``value`` as compact JSON; what JSON cannot hold is stored as its ``repr``."""
    try:
        return _dumps(value)
    except TypeError:  # a mapping key that is not a string, int, float, bool or None
        pass
    except ValueError:  # a circular reference
        return _dumps(repr(value))
    try:
        return _dumps(_string_keys(value))
    except (RecursionError, ValueError):
        return _dumps(repr(value))


def loads(text: str) -> Any:
    """The value stored as ``text`` by `dumps`."""
    return json.loads(text)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _default(value: object) -> object:
    if isinstance(value, Mapping):  # a mapping that is not a dict (e.g. a read-only view)
        return dict(value)
    return repr(value)


def _string_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_key(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_string_keys(v) for v in value]
    return value


_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))
"""One encoder for every value (``json.dumps`` with options builds a new one each call)."""


def _key(key: object) -> str | int | float | bool | None:
    if key is None or isinstance(key, str | int | float | bool):
        return key
    return str(key)
