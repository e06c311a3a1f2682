"""Data held in memory for the duration of a run."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal, get_args

from datamill.errors import DatasetError
from datamill.io._dataset import AbstractDataset

__all__ = ["CopyMode", "MemoryDataset"]

CopyMode = Literal["assign", "copy", "deepcopy"]
_COPY_MODES: tuple[str, ...] = get_args(CopyMode)


class _Empty:
    def __repr__(self) -> str:
        return "<empty>"

    def __reduce__(self) -> str:
        return "_EMPTY"  # pickles and copies as the module's single instance


_EMPTY: Any = _Empty()


class MemoryDataset(AbstractDataset[Any, Any]):
    """Keeps data in memory; what datamill uses for undeclared intermediate datasets.

    By default data is passed by reference, without any copy: a node that mutates its input
    mutates it for every other consumer too. Choose a copy mode to protect against that.

    Args:
        data: Initial data (optional).
        copy_mode: ``"assign"`` (no copy, the default), ``"copy"`` (shallow copy on save and
            load) or ``"deepcopy"``.

    Example YAML (``conf/base/catalog.yml``)::

        scratch_table:
          type: MemoryDataset
          copy_mode: deepcopy
    """

    persistent: ClassVar[bool] = False

    def __init__(self, data: Any = _EMPTY, *, copy_mode: CopyMode = "assign") -> None:
        if copy_mode not in _COPY_MODES:
            raise DatasetError(
                f"copy_mode {copy_mode!r} is not supported; use one of {', '.join(_COPY_MODES)}."
            )
        self._copy_mode = copy_mode
        self._data = _EMPTY if data is _EMPTY else self._copied(data)

    def _load(self) -> Any:
        if self._data is _EMPTY:
            raise DatasetError(
                f"{self!r} holds no data: nothing was saved to it in this run, or it was "
                "released after its last consumer. Provide the data or run its producer."
            )
        return self._copied(self._data)

    def _save(self, data: Any) -> None:
        self._data = self._copied(data)

    def _exists(self) -> bool:
        return self._data is not _EMPTY

    def _release(self) -> None:
        self._data = _EMPTY

    def _describe(self) -> dict[str, Any]:
        held = None if self._data is _EMPTY else type(self._data).__name__
        return {"data": held, "copy_mode": self._copy_mode}

    def _copied(self, data: Any) -> Any:
        if self._copy_mode == "copy":
            return copy.copy(data)
        if self._copy_mode == "deepcopy":
            return copy.deepcopy(data)
        return data
