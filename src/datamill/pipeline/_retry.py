"""Retry policies: how often a failing node function is called again, and how long to wait.

A :class:`Retry` is a frozen value object, so a node holding one stays hashable, comparable
and picklable. It only describes the policy; the runner applies it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Retry"]


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Retry:
    """How a node whose function raises is retried.

    Only the call of the function is retried: its inputs are loaded once, and its outputs
    are saved once it succeeded. The wait before retry ``k`` (counted from 1) is
    ``delay * backoff ** (k - 1)`` seconds.

    Args:
        times: How many times to call the function again after a failure (0: never).
        delay: Seconds to wait before the first retry.
        backoff: Factor applied to the wait before each following retry (1: always the
            same wait).
        on: The exception class, or classes, worth a retry; any other error fails the node
            at once.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: A number is out of range (``times`` or ``delay`` negative, ``backoff``
            below 1).

    Example:
        >>> Retry(3, delay=0.5, backoff=2.0).delays()
        (0.5, 1.0, 2.0)
        >>> Retry(2, on=ConnectionError).attempts
        3
    """

    times: int
    delay: float
    backoff: float
    on: tuple[type[Exception], ...]

    def __init__(
        self,
        times: int,
        *,
        delay: float = 1.0,
        backoff: float = 2.0,
        on: type[Exception] | Iterable[type[Exception]] = Exception,
    ) -> None:
        exceptions = _exception_classes(on)
        _validate(times, delay, backoff, exceptions, on)
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "delay", float(delay))
        object.__setattr__(self, "backoff", float(backoff))
        object.__setattr__(self, "on", exceptions)

    def __repr__(self) -> str:
        on = ", ".join(cls.__qualname__ for cls in self.on)
        return (
            f"Retry({self.times}, delay={self.delay}, backoff={self.backoff}, "
            f"on=({on}{',' if len(self.on) == 1 else ''}))"
        )

    @property
    def attempts(self) -> int:
        """The most calls of the function: the first one and the retries."""
        return self.times + 1

    def delays(self) -> tuple[float, ...]:
        """The wait before each retry, in order."""
        return tuple(self.wait_before(k) for k in range(1, self.times + 1))

    def wait_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (counted from 1)."""
        return self.delay * self.backoff ** (retry - 1)

    def retries(self, error: BaseException, attempt: int) -> bool:
        """Tell whether the failed attempt number ``attempt`` (from 1) is followed by another."""
        return attempt <= self.times and isinstance(error, self.on)


def _exception_classes(on: object) -> tuple[type[Exception], ...]:
    if isinstance(on, type):
        return (on,)
    if isinstance(on, Iterable) and not isinstance(on, str | bytes):
        return tuple(on)
    return ()


def _validate(
    times: object, delay: object, backoff: object, exceptions: tuple[Any, ...], on: object
) -> None:
    wrong_types = []
    if not isinstance(times, int) or isinstance(times, bool):
        wrong_types.append(f"times must be a whole number of retries, got {times!r}.")
    for name, value in (("delay", delay), ("backoff", backoff)):
        if not isinstance(value, int | float) or isinstance(value, bool):
            wrong_types.append(f"{name} must be a number, got {value!r}.")
    if not exceptions or not all(
        isinstance(cls, type) and issubclass(cls, Exception) for cls in exceptions
    ):
        wrong_types.append(
            "on must be an exception class or a tuple of them (subclasses of Exception), "
            f"got {on!r}."
        )
    if wrong_types:
        raise TypeError("Invalid retry policy: " + " ".join(wrong_types))
    problems = _range_problems(times, delay, backoff)  # type: ignore[arg-type]
    if problems:
        raise ValueError("Invalid retry policy: " + " ".join(problems))


def _range_problems(times: int, delay: float, backoff: float) -> list[str]:
    problems = []
    if times < 0:
        problems.append(f"times must be 0 or more (the retries after a failure), got {times}.")
    if not (math.isfinite(delay) and delay >= 0):
        problems.append(f"delay must be a number of seconds, 0 or more, got {delay}.")
    if not (math.isfinite(backoff) and backoff >= 1):
        problems.append(
            f"backoff must be 1 or more (1 waits the same delay before every retry), got {backoff}."
        )
    return problems
