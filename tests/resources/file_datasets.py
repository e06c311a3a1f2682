"""File datasets used to test atomic writes: they write part of the data, then fail or wait."""

from __future__ import annotations

import os
from typing import IO, Any

from datamill.io._file import FileDataset


class HalfWrite(FileDataset[bytes, bytes]):
    """Writes the first half of the bytes, then raises (or, with ``signal_fd``, waits)."""

    def __init__(self, filepath: str, *, signal_fd: int | None = None, **kwargs: Any) -> None:
        super().__init__(filepath, **kwargs)
        self.signal_fd = signal_fd

    def _read(self, stream: IO[bytes]) -> bytes:
        return stream.read()

    def _write(self, data: bytes, stream: IO[bytes]) -> None:
        stream.write(data[: len(data) // 2])
        stream.flush()
        if self.signal_fd is None:
            raise OSError("disk full")
        os.write(self.signal_fd, b"half")  # tell the test we are mid-write...
        os.read(0, 1)  # ...and block until killed (stdin is never written to)
        stream.write(data[len(data) // 2 :])


class BytesFile(FileDataset[bytes, bytes]):
    """Raw bytes."""

    def _read(self, stream: IO[bytes]) -> bytes:
        return stream.read()

    def _write(self, data: bytes, stream: IO[bytes]) -> None:
        stream.write(data)
