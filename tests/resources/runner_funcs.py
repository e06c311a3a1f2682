"""Node functions for the runner tests.

They live in an importable module so that the process executor's workers can import them.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from datamill import AbstractDataset


class Boom(ValueError):
    """The error failing nodes raise."""


def inc(x: int) -> int:
    return x + 1


def add(x: int, y: int) -> int:
    return x + y


def total(*values: int) -> int:
    return sum(values)


def split(x: int) -> tuple[int, int]:
    return x // 2, x - x // 2


def divmod_dict(x: int, by: int) -> dict[str, int]:
    return {"quotient": x // by, "remainder": x % by}


def describe(value: int, *, label: str) -> str:
    return f"{label}={value}"


def fail(x: int) -> int:
    raise Boom(f"cannot handle {x}")


def returns_none(x: int) -> None:
    return None


def wrong_length(x: int) -> tuple[int, ...]:
    return (x, x, x)


def wrong_keys(x: int) -> dict[str, int]:
    return {"quotient": x, "extra": x}


def chunks(n: int) -> Iterator[int]:
    yield from range(n)


def pid(x: int) -> int:
    return os.getpid()


def print_pid_and_hang(x: int) -> int:
    """Print this process's id, then wait for ever (until the process is killed)."""
    print(os.getpid(), flush=True)
    threading.Event().wait()
    return x


def die(x: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return x


def hang_up(x: int) -> int:
    """Send this process SIGHUP (as closing the terminal sends every process of a command)."""
    os.kill(os.getpid(), signal.SIGHUP)
    return x


def make_lock(x: int) -> Any:
    return threading.Lock()


def fail_unpicklably(x: int) -> int:
    raise UnpicklableError(threading.Lock())


class UnpicklableError(Exception):
    """An exception carrying an object that cannot be pickled."""

    def __init__(self, lock: Any) -> None:
        super().__init__("holds a lock")
        self.lock = lock


def wait_for(event: Any, x: int) -> int:
    """Finish only once ``event`` is set (a threading or manager Event)."""
    if not event.wait(timeout=60):
        raise TimeoutError("the event was never set")
    return x


def meet(barrier: Any, x: int) -> int:
    """Pass ``barrier`` (which needs every party to arrive at the same time), then return x."""
    barrier.wait(timeout=60)
    return x


class ChunkList(AbstractDataset[list[Any], Any]):
    """Collects every chunk saved to it; used for generator nodes."""

    accepts_chunks: ClassVar[bool] = True
    persistent: ClassVar[bool] = False

    def __init__(self) -> None:
        self.chunks: list[Any] = []

    def _load(self) -> list[Any]:
        return list(self.chunks)

    def _save(self, data: Any) -> None:
        self.chunks.append(data)

    def _exists(self) -> bool:
        return bool(self.chunks)

    def _describe(self) -> dict[str, Any]:
        return {"chunks": len(self.chunks)}


def meet_then_fail(barrier: Any, x: int) -> int:
    """Pass ``barrier`` together with the other parties, then fail."""
    barrier.wait(timeout=60)
    raise Boom(f"cannot handle {x}")
