"""Plain text files."""

from __future__ import annotations

import io
from typing import IO, Any

from datamill.io._file import FileDataset

__all__ = ["TextDataset"]


class TextDataset(FileDataset[str, str]):
    """A text file, loaded as one string.

    ``load_args``/``save_args`` take ``encoding`` (default ``utf-8``) and ``newline``.

    Example YAML::

        release_notes:
          type: text.TextDataset
          filepath: data/08_reporting/notes.md
          save_args: {encoding: utf-8}
    """

    def _read(self, stream: IO[bytes]) -> str:
        with io.TextIOWrapper(stream, **self._text_args(self._load_args)) as text:
            return text.read()

    def _write(self, data: str, stream: IO[bytes]) -> None:
        if not isinstance(data, str):
            raise TypeError(f"TextDataset saves str, got {type(data).__name__}.")
        text = io.TextIOWrapper(stream, **self._text_args(self._save_args))
        text.write(data)
        text.flush()
        text.detach()  # leave the binary stream open for the atomic rename

    @staticmethod
    def _text_args(args: dict[str, Any]) -> dict[str, Any]:
        return {"encoding": args.get("encoding", "utf-8"), "newline": args.get("newline")}
