"""Flaky node functions for the retry tests.

They count their calls in a file, so the count is right whichever process calls them, and
they are module-level callable objects, so the process executor's workers can import them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass


def record_call(counter: str) -> int:
    """Add one call to the counter file; return how many calls it holds now."""
    with open(counter, "a", encoding="utf-8") as file:
        file.write(".")
    return os.path.getsize(counter)


def calls(counter: str) -> int:
    """How many calls the counter file holds."""
    return os.path.getsize(counter) if os.path.exists(counter) else 0


@dataclass(frozen=True)
class Flaky:
    """Raises ``error`` on its first ``fails`` calls, then returns ``x + 1``."""

    counter: str
    fails: int
    error: type[Exception] = ConnectionError

    def __call__(self, x: int) -> int:
        call = record_call(self.counter)
        if call <= self.fails:
            raise self.error(f"call {call} failed")
        return x + 1


@dataclass(frozen=True)
class FlakyChunks:
    """Raises before its first chunk on its first ``fails`` calls, then yields ``range(n)``."""

    counter: str
    fails: int

    def __call__(self, n: int) -> Iterator[int]:
        call = record_call(self.counter)
        if call <= self.fails:
            raise ConnectionError(f"call {call} failed")
        yield from range(n)


@dataclass(frozen=True)
class FailsAfterFirstChunk:
    """Yields one chunk, then raises, on every call."""

    counter: str

    def __call__(self, n: int) -> Iterator[int]:
        call = record_call(self.counter)
        yield 0
        raise ConnectionError(f"call {call} lost the connection after one chunk")
