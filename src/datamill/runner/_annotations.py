"""Do the annotations on both ends of each edge agree?

Before a run, every dataset passed from one node to another is checked: the producer's
return annotation (or its part for that output) against the annotation of the consumer's
argument that receives it. Parameters are checked against the annotation of the argument
that receives them in the same way.

Only definite disagreements are reported, where nothing the producer may return is what the
consumer accepts (``pd.DataFrame`` into ``pl.DataFrame``, ``list[str]`` into
``dict[str, int]``, ``str | None`` into ``int``). Anything that cannot be decided counts as
agreement: a missing annotation, ``Any``, ``object``, type variables, protocols, forward
references that do not resolve, and a consumer that accepts a subclass of what the producer
declares (``Sequence[int]`` into ``list[int]``). ``int`` is accepted where ``float`` is
declared, as type checkers do.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from datamill.pipeline import Node, Pipeline, is_parameter

__all__ = ["annotation_problems", "parameter_annotation_problems"]

_Alternative = tuple[type, tuple[Any, ...]]
"""A class and the type arguments it was given (``(list, (int,))`` for ``list[int]``)."""

_PROMOTIONS: Final[Mapping[type, frozenset[type]]] = {
    float: frozenset({int, float}),
    complex: frozenset({int, float, complex}),
}
_UNION_TYPES: Final = (typing.Union, types.UnionType)
_NONE_TYPE: Final = type(None)


def annotation_problems(pipeline: Pipeline, skip: Callable[[str], bool] | None = None) -> list[str]:
    """Every edge of ``pipeline`` whose producer and consumer annotations disagree.

    Args:
        pipeline: The pipeline to check.
        skip: Datasets not to check, e.g. those whose ``load`` returns something other than
            what ``save`` was given (a partitioned dataset loads a mapping of loaders).
    """
    hints = _HintCache()
    produced: dict[str, tuple[Node, Any]] = {}
    for n in pipeline.nodes:
        for name, annotation in _output_annotations(n, hints).items():
            if annotation is not None and (skip is None or not skip(name)):
                produced[name] = (n, annotation)
    problems = []
    verdicts: dict[tuple[Any, Any], bool] = {}  # the same pair of annotations recurs a lot
    for consumer in pipeline.nodes:
        if not any(name in produced for name in consumer.inputs):
            continue  # decided without reading the consumer's annotations
        for name, argument, accepted in _input_annotations(consumer, hints):
            if name not in produced:
                continue
            producer, returned = produced[name]
            if not _agrees_cached(returned, accepted, verdicts):
                problems.append(
                    f"dataset {name!r}: node {producer.name!r} returns "
                    f"{_show(returned)}, but node {consumer.name!r} takes it as argument "
                    f"{argument!r}: {_show(accepted)}. Fix one of the two annotations (or the "
                    "function)."
                )
    return problems


def parameter_annotation_problems(
    pipeline: Pipeline, value_of: Callable[[str], Any], skip: Callable[[str], bool]
) -> list[str]:
    """Every parameter whose value does not fit the annotation of the argument taking it.

    Args:
        pipeline: The pipeline to check.
        value_of: Loads a parameter by name (``"params:model.alpha"``).
        skip: Parameters not to check (missing ones, typed parameters checked elsewhere).
    """
    hints = _HintCache()
    problems = []
    for n in pipeline.nodes:
        if not any(is_parameter(name) for name in n.inputs):
            continue  # the common case, decided without reading annotations
        for name, argument, accepted in _input_annotations(n, hints):
            if not is_parameter(name) or skip(name):
                continue
            value = value_of(name)
            if not accepts_value(accepted, value):
                problems.append(
                    f"parameter {name!r} is {value!r} ({type(value).__name__}), but node "
                    f"{n.name!r} takes it as argument {argument!r}: {_show(accepted)}. Fix "
                    "the value in the parameters, or the annotation."
                )
    return problems


def agrees(returned: Any, accepted: Any) -> bool:
    """Whether a value annotated ``returned`` may be what an argument ``accepted`` takes.

    Example:
        >>> agrees(list[int], list[str]), agrees(int, float), agrees(int | None, str)
        (False, True, False)
    """
    produced, wanted = _alternatives(returned), _alternatives(accepted)
    if produced is None or wanted is None:
        return True
    return any(_classes_agree(p, w) for p in produced for w in wanted)


def _agrees_cached(returned: Any, accepted: Any, verdicts: dict[tuple[Any, Any], bool]) -> bool:
    try:
        return verdicts[returned, accepted]
    except KeyError:
        verdict = verdicts[returned, accepted] = agrees(returned, accepted)
        return verdict
    except TypeError:  # an annotation that cannot be hashed
        return agrees(returned, accepted)


def accepts_value(accepted: Any, value: Any) -> bool:
    """Whether ``value`` fits annotation ``accepted`` (only its outer classes are checked)."""
    wanted = _alternatives(accepted)
    if wanted is None:
        return True
    return any(_value_fits(value, cls) for cls, _ in wanted)


# -- reading annotations ------------------------------------------------------------------------


class _HintCache:
    """Type hints per function, read once (many nodes share a function)."""

    def __init__(self) -> None:
        self._hints: dict[int, tuple[object, dict[str, Any]]] = {}
        self._arguments: dict[tuple[int, int], tuple[object, tuple[str | None, ...]]] = {}

    def arguments(self, n: Node) -> tuple[str | None, ...]:
        """``n.argument_names()``, read once per function for positional inputs."""
        if n.input_keywords is not None:
            return n.input_keywords
        key = (id(n.func), len(n.inputs))
        cached = self._arguments.get(key)
        if cached is None or cached[0] is not n.func:
            cached = self._arguments[key] = (n.func, n.argument_names())
        return cached[1]

    def __call__(self, func: Callable[..., Any]) -> dict[str, Any]:
        key = id(func)
        cached = self._hints.get(key)
        if cached is None or cached[0] is not func:
            cached = (func, type_hints(func))
            self._hints[key] = cached
        return cached[1]


def type_hints(target: Any) -> dict[str, Any]:
    """``typing.get_type_hints(target)``, or nothing when the hints cannot be resolved."""
    if not hasattr(target, "__annotations__") and not isinstance(target, type):
        return {}
    try:
        return typing.get_type_hints(target, include_extras=False)
    except Exception:  # forward references that do not resolve: nothing to check then
        return {}


def _output_annotations(n: Node, hints: _HintCache) -> dict[str, Any]:
    """The annotation of each output of ``n`` that its return annotation tells."""
    if not n.outputs or n.is_generator:
        return {}
    returned = hints(n.func).get("return")
    if returned is None or n.output_style == "single":
        return {n.outputs[0]: returned} if returned is not None else {}
    if n.output_style == "sequence":
        parts = _sequence_parts(returned, len(n.outputs))
        return dict(zip(n.outputs, parts, strict=True)) if parts is not None else {}
    assert n.output_keys is not None
    return {
        name: _mapping_part(returned, key, hints)
        for name, key in zip(n.outputs, n.output_keys, strict=True)
    }


def _sequence_parts(returned: Any, count: int) -> list[Any] | None:
    origin, args = typing.get_origin(returned), typing.get_args(returned)
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return [args[0]] * count
        return list(args) if len(args) == count else None
    if isinstance(origin, type) and len(args) == 1 and issubclass(origin, Iterable):
        return [args[0]] * count
    return None


def _mapping_part(returned: Any, key: str, hints: _HintCache) -> Any:
    if typing.is_typeddict(returned):
        return hints(returned).get(key)
    origin, args = typing.get_origin(returned), typing.get_args(returned)
    if isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return args[1]
    return None


def _input_annotations(n: Node, hints: _HintCache) -> Iterable[tuple[str, str, Any]]:
    """(dataset, argument, annotation) for each input whose argument is annotated."""
    if not n.inputs:
        return
    annotations = hints(n.func)
    if not annotations:
        return
    for name, argument in zip(n.inputs, hints.arguments(n), strict=True):
        accepted = None if argument is None else annotations.get(argument)
        if argument is not None and accepted is not None:
            yield name, argument, accepted


# -- comparing annotations ----------------------------------------------------------------------


def _alternatives(annotation: Any) -> list[_Alternative] | None:
    """The classes a value of ``annotation`` may have, or None when that cannot be told."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if origin in _UNION_TYPES or origin is typing.Literal:
        return _members(annotation, origin)
    if annotation is None or annotation is _NONE_TYPE:
        return [(_NONE_TYPE, ())]
    supertype = getattr(annotation, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return _alternatives(supertype)
    cls, args = (annotation, ()) if origin is None else (origin, typing.get_args(annotation))
    return [(cls, args)] if _checkable(cls) else None


def _members(annotation: Any, origin: Any) -> list[_Alternative] | None:
    """The alternatives of a union or a literal."""
    if origin is typing.Literal:
        return [(type(value), ()) for value in typing.get_args(annotation)]
    found: list[_Alternative] = []
    for member in typing.get_args(annotation):
        alternatives = _alternatives(member)
        if alternatives is None:
            return None
        found += alternatives
    return found


def _checkable(cls: Any) -> bool:
    if not isinstance(cls, type) or cls is object or cls is Any:  # Any is a class since 3.11
        return False
    if getattr(cls, "_is_protocol", False) and not getattr(cls, "_is_runtime_protocol", False):
        return False
    return not typing.is_typeddict(cls)


def _classes_agree(produced: _Alternative, wanted: _Alternative) -> bool:
    (p_cls, p_args), (w_cls, w_args) = produced, wanted
    if p_cls in _PROMOTIONS.get(w_cls, ()):
        return True
    try:
        related = issubclass(p_cls, w_cls) or issubclass(w_cls, p_cls)
    except TypeError:  # classes that refuse subclass checks: cannot tell
        return True
    if not related:
        return False
    if p_args and w_args and len(p_args) == len(w_args):
        return all(agrees(p, w) for p, w in zip(p_args, w_args, strict=True))
    return True


def _value_fits(value: Any, cls: type) -> bool:
    if cls in _PROMOTIONS and isinstance(value, tuple(_PROMOTIONS[cls])):
        return not isinstance(value, bool)
    try:
        return isinstance(value, cls)
    except TypeError:
        return True


def _show(annotation: Any) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        module = annotation.__module__
        name = annotation.__qualname__
        return name if module == "builtins" else f"{module}.{name}"
    return repr(annotation).replace("typing.", "")
