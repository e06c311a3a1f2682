"""YAML documents."""

from __future__ import annotations

from typing import IO, Any

import yaml

from datamill.io._file import FileDataset

__all__ = ["YAMLDataset"]


class YAMLDataset(FileDataset[Any, Any]):
    """A YAML document, loaded with the safe loader (no arbitrary Python objects).

    ``save_args`` are passed to :func:`yaml.safe_dump` (default ``sort_keys=False``).

    Example YAML::

        best_params:
          type: yaml.YAMLDataset
          filepath: data/06_models/best_params.yml
    """

    def _read(self, stream: IO[bytes]) -> Any:
        return yaml.safe_load(stream)

    def _write(self, data: Any, stream: IO[bytes]) -> None:
        options = {"sort_keys": False, "allow_unicode": True, **self._save_args}
        stream.write(yaml.safe_dump(data, **options).encode("utf-8"))
