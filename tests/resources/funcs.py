"""Plain functions of every signature shape, used as node functions across the tests.

They live in an importable module (not inside a test) so that nodes built from them can
be pickled and rebuilt in another process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def logged(func: Callable[P, R]) -> Callable[P, R]:
    """A typical decorator: ``functools.wraps`` around a ``*args, **kwargs`` wrapper."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return func(*args, **kwargs)

    return wrapper


def identity(x: object) -> object:
    return x


def add(x: int, y: int) -> int:
    return x + y


def subtract(x: int, y: int) -> int:
    return x - y


@logged
def logged_add(x: int, y: int) -> int:
    return x + y


@logged
def logged_chunks(x: list[int]) -> Iterator[int]:
    yield from x


def combine(*args: object) -> tuple[object, ...]:
    return args


def no_arguments() -> int:
    return 1


def sink(x: object) -> None:
    return None


def with_default(x: int, y: int = 1) -> int:
    return x + y


def keyword_only(x: int, *, scale: float) -> float:
    return x * scale


def keyword_only_default(x: int, *, scale: float = 1.0) -> float:
    return x * scale


def positional_only(x: int, y: int, /) -> int:
    return x - y


def with_var_kwargs(x: int, **options: object) -> int:
    return x + len(options)


def every_kind(a: int, /, b: int, *args: int, c: int, **kwargs: int) -> int:
    return a + b + sum(args) + c + sum(kwargs.values())


def split(x: list[int]) -> tuple[list[int], list[int]]:
    half = len(x) // 2
    return x[:half], x[half:]


def as_mapping(x: int) -> dict[str, int]:
    return {"double": 2 * x, "triple": 3 * x}


def chunks(x: list[int]) -> Iterator[int]:
    yield from x


def use_parameters(data: object, parameters: Mapping[str, Any]) -> object:
    return data


class Scaler:
    """A class whose bound, class and static methods are used as node functions."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def scale(self, x: float) -> float:
        return x * self.factor

    def scale_two(self, x: float, y: float) -> tuple[float, float]:
        return x * self.factor, y * self.factor

    def scale_chunks(self, xs: list[float]) -> Iterator[float]:
        for x in xs:
            yield x * self.factor

    @classmethod
    def build(cls, factor: float) -> Scaler:
        return cls(factor)

    @staticmethod
    def negate(x: float) -> float:
        return -x


class Multiply:
    """A callable object: its ``__call__`` signature is what the node must match."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def __call__(self, x: int) -> int:
        return x * self.factor


class ChunkReader:
    """A callable object whose ``__call__`` yields chunks."""

    def __call__(self, source: list[int]) -> Iterator[int]:
        yield from source


class Unavailable(Exception):
    """A user-defined error for retry policies to name."""
