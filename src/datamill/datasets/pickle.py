"""Python objects serialised with pickle, joblib or cloudpickle."""

from __future__ import annotations

import importlib
import pickle
from typing import IO, Any

from datamill.errors import DatasetError
from datamill.io._file import FileDataset

__all__ = ["PickleDataset"]

_BACKENDS = {"pickle": None, "joblib": "joblib", "cloudpickle": "cloudpickle"}


class PickleDataset(FileDataset[Any, Any]):
    """Any Python object, pickled. Only load files you trust: unpickling runs code.

    Args:
        backend: ``"pickle"`` (default), ``"joblib"`` (efficient for NumPy arrays) or
            ``"cloudpickle"`` (also lambdas and local functions).
        **kwargs: See :class:`~datamill.io.FileDataset`.

    Example YAML::

        regressor:
          type: pickle.PickleDataset
          filepath: data/06_models/regressor.pkl
          backend: joblib
          versioned: true
    """

    def __init__(self, filepath: str, *, backend: str = "pickle", **kwargs: Any) -> None:
        super().__init__(filepath, **kwargs)
        if backend not in _BACKENDS:
            raise DatasetError(
                f"PickleDataset({filepath!r}): unknown backend {backend!r}; use one of "
                f"{', '.join(_BACKENDS)}."
            )
        self._backend = backend

    def _read(self, stream: IO[bytes]) -> Any:
        if self._backend == "joblib":
            return self._module().load(stream, **self._load_args)
        return pickle.load(stream, **self._load_args)

    def _write(self, data: Any, stream: IO[bytes]) -> None:
        module = self._module() if self._backend != "pickle" else pickle
        module.dump(data, stream, **self._save_args)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "backend": self._backend}

    def _module(self) -> Any:
        name = _BACKENDS[self._backend]
        assert name is not None
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            raise DatasetError(
                f"PickleDataset backend {self._backend!r} needs the {name} package: "
                f'pip install "datamill[pickle]" (or pip install {name}).'
            ) from exc
