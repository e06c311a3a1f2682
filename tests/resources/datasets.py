"""Dataset types shared by the tests."""

from __future__ import annotations

from typing import Any

from datamill.io import AbstractDataset


class FailingDataset(AbstractDataset[Any, Any]):
    """Every protected method raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def _load(self) -> Any:
        raise self.error

    def _save(self, data: Any) -> None:
        raise self.error

    def _exists(self) -> bool:
        raise self.error

    def _release(self) -> None:
        raise self.error

    def _describe(self) -> dict[str, Any]:
        return {"path": "broken.bin"}
