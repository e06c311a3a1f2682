"""Canonical text for values, and the fingerprints of parameters.

A fingerprint must be the same in every process and on every run, so values are turned
into a canonical text before hashing: each value is tagged with its kind (``1``, ``1.0`` and
``True`` differ), mapping keys and set members are sorted by their own canonical text, and
nothing depends on ``id()``, ``hash()`` or ``PYTHONHASHSEED``. The text is then hashed with
SHA-256.

Parameters are encoded strictly: a value that cannot be encoded without losing information
(an object whose ``repr`` shows a memory address, a self-containing list) has no fingerprint,
and the node that receives it always runs.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

__all__ = [
    "digest",
    "literal",
    "parameter_fingerprints",
    "parameter_parts",
    "qualified_type",
    "readable_repr",
]

_MAX_REPR = 100_000  # longer reprs are not trusted as a value's identity


def digest(text: str, length: int = 32) -> str:
    """The first ``length`` hex characters of the SHA-256 of ``text``."""
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:length]


def literal(value: object) -> str | None:
    """The canonical text of a scalar of a built-in type, or ``None`` for anything else.

    Only exact types count (``True`` is not an int here, an ``IntEnum`` is not either), so
    that values of different kinds never share a text.
    """
    write = _LITERALS.get(type(value))
    return None if write is None else write(value)


_LITERALS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "N",
    bool: lambda v: "T" if v else "F",
    int: lambda v: "i" + hex(v),  # hex: no digit limit, unlike str
    float: lambda v: "f" + repr(v),
    complex: lambda v: "c" + repr(v),
    str: lambda v: f"s{len(v)}:{v}",
    bytes: lambda v: f"b{len(v)}:{v.hex()}",
    type(Ellipsis): lambda _: "...",
}


def qualified_type(value: object) -> str:
    """``module.QualName`` of the value's type."""
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def readable_repr(value: object) -> str | None:
    """The value's ``repr`` when it identifies the value, else ``None``.

    A ``repr`` identifies a value when the type defines its own, it shows no memory address
    (``" at 0x"``) and it is not huge.
    """
    if type(value).__repr__ is object.__repr__:
        return None
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not break a run
        return None
    if " at 0x" in text or len(text) > _MAX_REPR:
        return None
    return text


def parameter_fingerprints(values: Mapping[str, Any]) -> dict[str, str | None]:
    """The fingerprint of each parameter input's resolved value.

    Args:
        values: Parameter input names (``"params:model.alpha"``, ``"parameters"``) mapped to
            their resolved values.

    Returns:
        Each name mapped to a 32-hex-digit digest of its value, or to ``None`` when the value
        cannot be fingerprinted (the node receiving it must then always run).

    The digest depends on the value only: mapping keys in any order give the same digest;
    ``1``, ``1.0`` and ``True`` give different ones; lists and tuples differ; sets are
    sorted. Dataclass instances and pydantic models count by their type and fields, numpy
    scalars by their Python value, numpy arrays by dtype, shape and items; any other object
    by its ``repr`` if that shows no memory address.

    Example:
        >>> fingerprints = parameter_fingerprints({"params:alpha": 0.5})
        >>> len(fingerprints["params:alpha"])
        32
    """
    return {name: _parameter_digest(value) for name, value in values.items()}


def parameter_parts(name: str, value: object) -> dict[str, str | None]:
    """The fingerprint of each part of a parameter that is a mapping, by dotted path.

    They let a reason name what changed inside a parameter: ``params:model`` with the value
    ``{"alpha": 1, "layers": {"n": 3}}`` has the parts ``params:model.alpha`` and
    ``params:model.layers.n``; the parts of ``parameters`` (every parameter) are named
    ``params:<path>``. A mapping of more than `MAX_PARTS` leaves gives its first level only
    (when that is small enough), and one nested deeper than `MAX_DEPTH` gives none.

    Example:
        >>> sorted(parameter_parts("params:model", {"alpha": 1, "layers": {"n": 3}}))
        ['params:model.alpha', 'params:model.layers.n']
    """
    if not isinstance(value, Mapping) or not value:
        return {}
    prefix = "params:" if name == "parameters" else f"{name}."
    parts = _leaves(value, prefix)
    if parts is None:
        if len(value) > MAX_PARTS or not all(isinstance(key, str) for key in value):
            return {}
        parts = {f"{prefix}{key}": item for key, item in value.items()}
    return {path: _parameter_digest(parts[path]) for path in sorted(parts)}


MAX_PARTS = 256
"""The most leaves of a mapping parameter that `parameter_parts` fingerprints one by one."""
MAX_DEPTH = 16
"""The deepest nesting of mappings that `parameter_parts` follows."""


def _leaves(value: Mapping[Any, Any], prefix: str) -> dict[str, object] | None:
    """Each leaf of a nested mapping by dotted path; None if too many, too deep or odd keys."""
    found: dict[str, object] = {}
    stack: list[tuple[str, Mapping[Any, Any], int]] = [(prefix, value, 0)]
    while stack:
        path, mapping, depth = stack.pop()
        if depth > MAX_DEPTH:  # a self-containing mapping ends here too
            return None
        for key, item in mapping.items():
            if not isinstance(key, str):
                return None
            if isinstance(item, Mapping) and item:
                stack.append((f"{path}{key}.", item, depth + 1))
                continue
            found[f"{path}{key}"] = item
            if len(found) > MAX_PARTS:
                return None
    return found


class _Unencodable(Exception):
    """A parameter value has no canonical text."""


def _parameter_digest(value: object) -> str | None:
    try:
        return digest(_ParameterText().text(value))
    except (_Unencodable, RecursionError):
        return None
    except Exception:  # a value whose own methods fail cannot be fingerprinted either
        return None


class _ParameterText:
    """Builds the canonical text of one parameter value (strict: raises on doubt)."""

    def __init__(self) -> None:
        self._open: set[int] = set()  # containers being encoded, to refuse cycles

    def text(self, value: object) -> str:
        simple = literal(value)
        if simple is not None:
            return simple
        if isinstance(value, enum.Enum):
            return self._repr(value)
        numpy = sys.modules.get("numpy")  # never imported here: loaded if a value is numpy's
        if numpy is not None and isinstance(value, numpy.generic | numpy.ndarray):
            return self._numpy(value)
        if id(value) in self._open:
            raise _Unencodable("a value contains itself")
        self._open.add(id(value))
        try:
            return self._compound(value)
        finally:
            self._open.discard(id(value))

    def _compound(self, value: object) -> str:
        if isinstance(value, Mapping):
            items = sorted(f"{self.text(k)}={self.text(v)}" for k, v in value.items())
            return "{" + ",".join(items) + "}"
        if isinstance(value, bytearray):
            return f"B{len(value)}:{value.hex()}"
        if isinstance(value, tuple):
            return "(" + ",".join(self.text(v) for v in value) + ")"
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            return "[" + ",".join(self.text(v) for v in value) + "]"
        if isinstance(value, Set):
            return "<" + ",".join(sorted(self.text(v) for v in value)) + ">"
        return self._object(value)

    def _object(self, value: object) -> str:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = sorted(
                f"{f.name}={self.text(getattr(value, f.name))}" for f in dataclasses.fields(value)
            )
            return f"D{qualified_type(value)}{{{','.join(fields)}}}"
        if hasattr(type(value), "model_fields") and callable(getattr(value, "model_dump", None)):
            return f"P{qualified_type(value)}{self.text(value.model_dump())}"  # type: ignore[attr-defined]
        for base in (str, int, float):  # subclasses of the scalar types
            if isinstance(value, base):
                return f"S{qualified_type(value)}:{literal(base(value))}"
        return self._repr(value)

    def _numpy(self, value: Any) -> str:
        if hasattr(value, "tolist") and hasattr(value, "shape") and value.shape != ():
            return f"A{value.dtype.str}{value.shape}{self.text(value.tolist())}"
        return self.text(value.item())

    def _repr(self, value: object) -> str:
        text = readable_repr(value)
        if text is None:
            raise _Unencodable(f"no stable text for a {qualified_type(value)}")
        return f"R{qualified_type(value)}:{text}"
