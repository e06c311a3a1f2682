"""JSON documents."""

from __future__ import annotations

import json
from typing import IO, Any

from datamill.io._file import FileDataset

__all__ = ["JSONDataset"]


class JSONDataset(FileDataset[Any, Any]):
    """A JSON document, loaded as Python objects (dicts, lists, numbers, strings).

    ``save_args`` are passed to :func:`json.dumps` (default ``indent=2``, ``sort_keys``
    off); ``load_args`` to :func:`json.loads`.

    Example YAML::

        metrics:
          type: json.JSONDataset
          filepath: data/08_reporting/metrics.json
          versioned: true
    """

    def _read(self, stream: IO[bytes]) -> Any:
        return json.loads(stream.read().decode("utf-8"), **self._load_args)

    def _write(self, data: Any, stream: IO[bytes]) -> None:
        options = {"indent": 2, **self._save_args}
        stream.write(json.dumps(data, **options).encode("utf-8"))
