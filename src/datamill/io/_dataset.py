"""The dataset contract every dataset type follows.

Public methods (``load``, ``save``, ``exists``, ``release``, ``describe``) are plain wrappers
around protected ones (``_load``, ``_save``, ...) that a dataset type implements; the wrappers
turn unexpected exceptions into :class:`~datamill.errors.DatasetError` naming the dataset.
"""

from __future__ import annotations

import abc
import functools
from typing import Any, ClassVar, Generic, Literal, TypeVar

from datamill.errors import DatasetError

__all__ = ["AbstractDataset"]

LoadT = TypeVar("LoadT")
SaveT = TypeVar("SaveT")


class AbstractDataset(abc.ABC, Generic[LoadT, SaveT]):
    """Base class of every dataset: something a node's input is loaded from or output saved to.

    Subclasses implement :meth:`_load`, :meth:`_save` and :meth:`_describe`, and may override
    :meth:`_exists` and :meth:`_release`.

    Class attributes:
        persistent: The data outlives the process (files, tables). Memory data is not.
        accepts_chunks: ``save`` may be called once per chunk yielded by a generator node,
            each call adding to what was saved before in the same run.
        confirms_on_success: The runner calls :meth:`confirm` after each node that loaded
            this dataset has succeeded (e.g. to advance an incremental checkpoint).
        loads_as_saved: ``load`` returns the kind of object ``save`` was given, so the
            pre-run check may compare the producer's and consumers' annotations.
    """

    persistent: ClassVar[bool] = True
    accepts_chunks: ClassVar[bool] = False
    confirms_on_success: ClassVar[bool] = False
    loads_as_saved: ClassVar[bool] = True
    location_keys: ClassVar[frozenset[str]] = frozenset({"filepath", "path", "load_version"})
    """The keys of `describe` that say where the data is rather than how it is read or
    written: `config_parts` leaves them out, since the data's fingerprint stands for them
    (and a project moved to another folder must not look changed)."""
    assume_unchanged: bool = False
    """Set by the catalog entry ``assume_unchanged: true``: when the dataset gives no
    fingerprint, incremental runs take it as unchanged instead of always rerunning its
    consumers (see `run_fingerprint`)."""

    def load(self) -> LoadT:
        """Load and return the data.

        Raises:
            DatasetError: The data could not be loaded.
        """
        try:
            return self._load()
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"Failed to load {self!r}: {type(exc).__name__}: {exc}") from exc

    def save(self, data: SaveT) -> None:
        """Save ``data``.

        Raises:
            DatasetError: ``data`` is ``None``, or the data could not be saved.
        """
        if data is None:
            raise DatasetError(f"Cannot save None to {self!r}; return a value from the node.")
        try:
            self._save(data)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"Failed to save to {self!r}: {type(exc).__name__}: {exc}") from exc

    def exists(self) -> bool:
        """Tell whether there is data to load."""
        try:
            return self._exists()
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(
                f"Failed to check whether {self!r} exists: {type(exc).__name__}: {exc}"
            ) from exc

    def release(self) -> None:
        """Drop any data held in memory (what is stored stays)."""
        try:
            self._release()
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"Failed to release {self!r}: {type(exc).__name__}: {exc}") from exc

    def confirm(self) -> None:
        """Acknowledge that the data last loaded was processed successfully (see class docs)."""

    def fingerprint(self) -> str | None:
        """A cheap identity of the current content, or ``None`` if the dataset cannot tell.

        Two equal fingerprints mean the content is the same; a dataset without one (an API,
        memory) makes whatever depends on it count as changed.
        """
        return None

    def run_fingerprint(self) -> str | None:
        """What incremental runs compare: `fingerprint`, or a constant when the dataset gives
        none and its catalog entry says ``assume_unchanged: true`` (an API whose data the
        user knows to be stable, say); None makes the dataset's consumers always run."""
        found = self.fingerprint()
        if found is None and self.assume_unchanged:
            return "assumed-unchanged"
        return found

    def current_version(self) -> str | None:
        """The version a load would read now, for a versioned dataset (None otherwise)."""
        return None

    def scratch_folders(self) -> list[str]:
        """Local folders where saves write temporary files before moving them into place.

        Before a run writes, the temporary files that killed saves left there are removed
        (see `datamill.io.discard_abandoned_writes`). None by default.
        """
        return []

    def describe(self) -> dict[str, Any]:
        """Describe the dataset's configuration (never secrets)."""
        return self._describe()

    def config_parts(self, role: Literal["load", "save"]) -> dict[str, Any]:
        """The parts of the configuration that decide how data is loaded (``role="load"``)
        or saved (``"save"``): ``"type"`` (the dataset class's public dotted path) and each
        key of `describe` that is set, except `location_keys` and the other role's
        arguments (``save_args`` when loading, ``load_args`` when saving).

        Incremental runs fingerprint them and compare them with those of a node's last
        success, so that a changed ``load_args`` reruns the dataset's consumers and a
        changed ``save_args`` its producer, even though the stored data is the same.

        Raises:
            DatasetError: `describe` (or `_config`) failed; the message names the type.

        Example:
            >>> dataset = CSVDataset(filepath="a.csv", load_args={"sep": ";"})  # doctest: +SKIP
            >>> dataset.config_parts("load")  # doctest: +SKIP
            {'type': 'datamill.datasets.pandas.CSVDataset', 'load_args': {'sep': ';'}}
        """
        parts: dict[str, Any] = {"type": _public_path(type(self))}
        other = "save_args" if role == "load" else "load_args"
        try:
            config = self._config()
        except Exception as exc:  # repr(self) would fail the same way: name the type
            raise DatasetError(
                f"Cannot describe a {type(self).__name__} dataset to compare its configuration "
                f"with the last run's: {type(exc).__name__}: {exc}. Fix its _describe()."
            ) from exc
        for key, value in config.items():
            if value is not None and key != other and key not in self.location_keys:
                parts[key] = value
        return parts

    def _config(self) -> dict[str, Any]:
        """What `config_parts` digests: `describe`, unless a type has more to say about how
        its data is read or written. Never secrets (only digests are kept, but still)."""
        return self.describe()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if v is not None)
        return f"{type(self).__name__}({args})"

    @abc.abstractmethod
    def _load(self) -> LoadT: ...

    @abc.abstractmethod
    def _save(self, data: SaveT) -> None: ...

    @abc.abstractmethod
    def _describe(self) -> dict[str, Any]: ...

    def _exists(self) -> bool:
        return True

    def _release(self) -> None:
        return None


@functools.cache
def _public_path(cls: type) -> str:
    """A class's dotted path without private modules (``datamill.datasets.pandas._csv``
    gives ``datamill.datasets.pandas``), so that moving it between them changes nothing."""
    public = [part for part in cls.__module__.split(".") if not part.startswith("_")]
    return ".".join([*public, cls.__qualname__])
