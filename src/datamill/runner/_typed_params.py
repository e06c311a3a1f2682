"""Typed parameters: a node argument annotated with a dataclass or a pydantic model receives
its parameter validated and instantiated.

The annotations are read once per run. The values are converted when a node's inputs are
loaded, and every parameter of the run is also converted once before anything runs, so that
all invalid parameters are reported together, up front.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from datamill.errors import RunnerError
from datamill.pipeline import Node, is_parameter
from datamill.runner._annotations import type_hints

__all__ = ["convert_nested", "convert_parameter", "typed_parameters"]


def typed_parameters(node: Node) -> dict[str, type]:
    """The node's parameter inputs whose argument is annotated with a structured type."""
    for name in node.inputs:
        if is_parameter(name):
            break
    else:
        return {}  # the common case, decided without reading annotations
    hints = type_hints(node.func)
    if not hints:
        return {}
    found = {}
    for name, argument in zip(node.inputs, node.argument_names(), strict=True):
        annotation = hints.get(argument) if argument is not None else None
        if is_parameter(name) and _is_structured(annotation):
            assert isinstance(annotation, type)
            found[name] = annotation
    return found


def convert_parameter(value: Any, cls: type, node: Node, name: str) -> Any:
    """``value`` as an instance of ``cls`` (a dataclass or a pydantic model).

    Raises:
        RunnerError: The value does not fit ``cls``; the message names the node, the
            parameter and the offending fields.
    """
    if isinstance(value, cls):
        return value
    try:
        if hasattr(cls, "model_validate"):
            return cls.model_validate(value)
        return _dataclass(cls, value, name)
    except (TypeError, ValueError) as exc:
        raise RunnerError(
            f"Parameter {name!r} of node {node.name!r} does not fit {cls.__name__}: "
            f"{_one_line(exc)}. Fix the value in the parameters, or the annotation.",
            node_name=node.name,
        ) from exc


def _dataclass(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping of its fields, got {type(value).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [key for key in value if key not in fields]
    if unknown:
        known = ", ".join(fields)
        raise TypeError(f"unknown field {', '.join(map(repr, unknown))} (fields: {known})")
    hints = type_hints(cls)
    converted = {}
    for key, item in value.items():
        field_type = hints.get(key)
        if (
            isinstance(field_type, type)
            and _is_structured(field_type)
            and isinstance(item, Mapping)
        ):
            converted[key] = convert_nested(field_type, item, f"{where}.{key}")
        else:
            converted[key] = item
    missing = [
        name
        for name, f in fields.items()
        if name not in converted
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise TypeError(f"missing field {', '.join(map(repr, missing))}")
    return cls(**converted)


def convert_nested(cls: type, value: Mapping[str, Any], where: str) -> Any:
    """A nested field's value as ``cls`` (a dataclass or a pydantic model)."""
    if hasattr(cls, "model_validate"):
        return cls.model_validate(value)
    return _dataclass(cls, value, where)


def _is_structured(annotation: object) -> bool:
    if not isinstance(annotation, type):
        return False
    return dataclasses.is_dataclass(annotation) or hasattr(annotation, "model_validate")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
