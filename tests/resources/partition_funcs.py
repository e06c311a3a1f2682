"""Node functions and datasets for the partition tests (importable by worker processes)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, ClassVar

from datamill.io._file import FileDataset


def emit_days(folder: str) -> Iterator[dict[str, dict[str, Any]]]:
    """Yield three partitions; before each, check that the previous one is already on disk."""
    for day in ("d1", "d2", "d3"):
        earlier = sorted(name for name in os.listdir(folder)) if os.path.isdir(folder) else []
        yield {day: {"day": day, "committed_before": earlier}}


def count_values(parts: Mapping[str, Callable[[], Any]]) -> int:
    return sum(len(load()) for load in parts.values())


def fail_on_parts(parts: Mapping[str, Callable[[], Any]]) -> int:
    raise RuntimeError(f"cannot process {sorted(parts)}")


class CountingText(FileDataset[str, str]):
    """A text file that counts how many times any instance was read."""

    reads: ClassVar[int] = 0

    def _read(self, stream: IO[bytes]) -> str:
        type(self).reads += 1
        return stream.read().decode()

    def _write(self, data: str, stream: IO[bytes]) -> None:
        if data == "boom":
            stream.write(b"partial")
            raise OSError("failed in the middle of a partition")
        stream.write(data.encode())
