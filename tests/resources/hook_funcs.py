"""Node functions for the hook tests.

They live in an importable module so that the process executor's workers can import them.
"""

from __future__ import annotations


class HookFuncError(ValueError):
    """The error the failing node raises."""


def total(numbers: list[int]) -> int:
    return sum(numbers)


def scale(x: int, factor: int) -> int:
    return x * factor


def double(x: int) -> int:
    return 2 * x


def triple(x: int) -> int:
    return 3 * x


def negate(x: int) -> int:
    return -x


def explode(x: int) -> int:
    raise HookFuncError(f"cannot handle {x}")
