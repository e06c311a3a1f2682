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
from json.encoder import encode_basestring
from typing import Any, Final

__all__ = ["dumps", "from_timestamp", "loads", "to_timestamp"]


def to_timestamp(value: datetime) -> str:
    """``value`` as fixed-width UTC text (``value`` must be aware).

    The text up to the second is kept per second: a run writes two timestamps per node,
    and most of them fall in a few seconds (``isoformat`` costs four times as much).
    """
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    second = value.timestamp() // 1
    prefix = _SECONDS.get(second)
    if prefix is None:
        if len(_SECONDS) >= _SECONDS_KEPT:
            _SECONDS.clear()
        prefix = _SECONDS[second] = value.replace(microsecond=0).isoformat()[: -len("+00:00")]
    return f"{prefix}.{value.microsecond:06d}+00:00"


_SECONDS: dict[float, str] = {}
"""``YYYY-MM-DDTHH:MM:SS`` by whole POSIX second, for `to_timestamp`."""

_SECONDS_KEPT: Final = 4096


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
    if type(value) is dict and len(value) <= _FLAT_MAX:
        flat = _flat_text(value)
        if flat is not None:
            return flat
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


def _flat_text(value: dict[Any, Any]) -> str | None:
    """The JSON of a small dict of text to text or None (a node's fingerprints), written
    directly: the encoder's setup costs more than the encoding of so small a value.
    ``None`` for any other dict. The text is the one `_ENCODER` writes.
    """
    items = []
    for key, item in value.items():
        if type(key) is not str:
            return None
        if type(item) is str:
            items.append(f"{encode_basestring(key)}:{encode_basestring(item)}")
        elif item is None:
            items.append(f"{encode_basestring(key)}:null")
        else:
            return None
    return "{" + ",".join(items) + "}"


_FLAT_MAX: Final = 16
"""Dicts of up to this many entries are tried by `_flat_text`."""


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
