"""Folders of files as one dataset: partitioned and incremental datasets.

A :class:`PartitionedDataset` is a folder (or object-store prefix) of files of one dataset
type. Loading lists the partitions and returns a loader per partition, reading nothing;
saving writes partitions one at a time, each atomically, so memory holds one partition at a
time and a crash loses at most the partition in flight. A generator node may yield
``{partition_id: data}`` chunks: each chunk is committed as it comes.

An :class:`IncrementalDataset` hands its consumer only the partitions it has not processed
yet. Its checkpoint is the *set* of processed partition ids (so ids need not sort in arrival
order), kept in a small JSON file per consumer, and it advances only when the consuming node
succeeds: the runner calls :meth:`IncrementalDataset.confirm` after the node finished.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from datamill.errors import DatasetError
from datamill.io import AbstractDataset
from datamill.io._file import FileDataset
from datamill.io._registry import resolve_type

__all__ = ["IncrementalDataset", "PartitionedDataset"]

Loader = Callable[[], Any]
_CHECKPOINTS = ".datamill-checkpoints"


class PartitionedDataset(AbstractDataset[dict[str, Loader], Mapping[str, Any]]):
    """A folder of files, each a partition of one dataset type.

    Args:
        path: The folder: a local path or any fsspec URL (``s3://bucket/events/``).
        dataset: The partitions' dataset type: a type name (``pandas.CSVDataset``), a class,
            or a mapping with ``type`` and that type's arguments (``load_args``, ...).
        filename_suffix: Only files ending with it are partitions; it is not part of the id.
        fs_args: fsspec options, given to the folder and to every partition.
        credentials: Storage options with secrets, given likewise; never shown.
        overwrite: On save, remove the partitions that the saved mapping does not contain
            (after every new partition was written).
        metadata: Free-form information for plugins.

    Loading returns ``{partition_id: load}``: call ``load()`` to read one partition. Saving
    takes ``{partition_id: data}``, where data may be a callable returning the data, so that
    each partition is produced just before it is written.

    Example YAML::

        daily_sales:
          type: partitions.PartitionedDataset
          path: s3://shop/sales/daily/
          dataset:
            type: pandas.CSVDataset
            load_args: {sep: ","}
          filename_suffix: .csv
          credentials: shop_bucket
    """

    accepts_chunks: ClassVar[bool] = True
    loads_as_saved: ClassVar[bool] = False  # saves data by partition, loads loaders

    def __init__(
        self,
        path: str,
        dataset: str | type[AbstractDataset[Any, Any]] | Mapping[str, Any],
        *,
        filename_suffix: str = "",
        fs_args: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(path, str) or not path:
            raise DatasetError(f"{type(self).__name__} needs a path, got {path!r}.")
        self._url = path.rstrip("/")
        self._type, self._type_args = _partition_type(dataset, self._url)
        self._suffix = filename_suffix
        self._fs_args = dict(fs_args or {})
        self._credentials = dict(credentials or {})
        self._overwrite = overwrite
        self.metadata = dict(metadata or {})
        self._fs: Any = None
        self._root = ""

    # -- the dataset contract ----------------------------------------------------------

    def _load(self) -> dict[str, Loader]:
        ids = self._partition_ids()
        if not ids:
            raise DatasetError(
                f"{self!r} has no partitions under {self._url}"
                + (f" ending with {self._suffix!r}" if self._suffix else "")
                + "; check the path and filename_suffix."
            )
        return {pid: self.partition(pid).load for pid in ids}

    def _save(self, data: Mapping[str, Any]) -> None:
        if not isinstance(data, Mapping):
            raise DatasetError(
                f"{self!r} saves a mapping of partition id to data, got "
                f"{type(data).__name__}; return or yield {{'part-id': data}}."
            )
        for pid, value in data.items():
            self._check_id(pid)
            self.partition(pid).save(value() if callable(value) else value)
        if self._overwrite:
            self._remove_others(set(data))

    def _exists(self) -> bool:
        return bool(self._partition_ids())

    def _describe(self) -> dict[str, Any]:
        return {
            "path": self._url,
            "dataset": self._type.__name__,
            "filename_suffix": self._suffix or None,
            "overwrite": self._overwrite or None,
        }

    def _config(self) -> dict[str, Any]:
        # How each partition is read and written: its dataset type and arguments.
        kind = f"{self._type.__module__}.{self._type.__qualname__}"
        arguments = {k: v for k, v in self._type_args.items() if k != "credentials"}
        return {**self._describe(), "dataset": {"type": kind, **arguments}}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fs"] = None  # filesystems hold connections: rebuild them after unpickling
        return state

    def fingerprint(self) -> str | None:
        """A hash of the partition ids and their sizes and modification times or checksums."""
        listing = self._listing()
        if not listing:
            return None
        digest = hashlib.blake2b(digest_size=16)
        for name in sorted(listing):
            info = listing[name]
            digest.update(f"{name}\0{info.get('size')}\0{_checksum(info)}\n".encode())
        return f"partitions:{digest.hexdigest()}"

    def partition_fingerprints(self) -> dict[str, str]:
        """The fingerprint of each existing partition, by id, from one listing of the folder.

        A partition's fingerprint is its size with its checksum (ETag, md5) or modification
        time: it changes when the partition is rewritten.
        """
        return {pid: _stamp(info) for pid, info in sorted(self._listing().items())}

    def partition_fingerprint(self, partition_id: str) -> str | None:
        """The fingerprint of one partition (as in `partition_fingerprints`), None if absent."""
        self._check_id(partition_id)
        fs = self._filesystem()
        path = posixpath.join(self._root, f"{partition_id}{self._suffix}")
        try:
            return _stamp(fs.info(path))
        except FileNotFoundError:
            return None

    @property
    def overwrite(self) -> bool:
        """Whether a save removes the partitions that the saved mapping does not contain."""
        return self._overwrite

    # -- partitions --------------------------------------------------------------------

    def partition(self, partition_id: str) -> AbstractDataset[Any, Any]:
        """The dataset of one partition (which need not exist yet)."""
        self._check_id(partition_id)
        filepath = f"{self._url}/{partition_id}{self._suffix}"
        extra: dict[str, Any] = {}
        if issubclass(self._type, FileDataset):
            extra = {"fs_args": self._fs_args, "credentials": self._credentials}
        factory: Callable[..., AbstractDataset[Any, Any]] = self._type
        try:
            return factory(filepath=filepath, **extra, **self._type_args)
        except TypeError as exc:
            raise DatasetError(f"{self!r} cannot build its partition datasets: {exc}") from exc

    def partition_ids(self) -> list[str]:
        """Ids of the existing partitions, sorted."""
        return self._partition_ids()

    def _partition_ids(self) -> list[str]:
        return sorted(self._listing())

    def _listing(self) -> dict[str, dict[str, Any]]:
        fs = self._filesystem()
        if not fs.exists(self._root):
            return {}
        found = fs.find(self._root, detail=True)
        listing = {}
        for full, info in found.items():
            relative = posixpath.relpath(full, self._root)
            if relative.split("/", 1)[0] == _CHECKPOINTS or not relative.endswith(self._suffix):
                continue
            if any(part.startswith(".") for part in relative.split("/")):
                continue  # hidden files: temporary files of unfinished writes
            listing[relative[: len(relative) - len(self._suffix)]] = info
        return listing

    def _remove_others(self, keep: set[str]) -> None:
        fs = self._filesystem()
        for pid in self._partition_ids():
            if pid not in keep:
                fs.rm(posixpath.join(self._root, f"{pid}{self._suffix}"))

    def _check_id(self, partition_id: object) -> None:
        if (
            not isinstance(partition_id, str)
            or not partition_id
            or partition_id.startswith("/")
            or any(
                part in ("", ".", "..") or part.startswith(".") for part in partition_id.split("/")
            )
        ):
            raise DatasetError(
                f"{self!r}: invalid partition id {partition_id!r}; use non-empty names, "
                "optionally with '/' for sub-folders (no '..', no leading dots)."
            )

    def scratch_folders(self) -> list[str]:
        """Where partition saves write temporary files: every folder of the partitions (the
        system's temporary folder when they are not on a local disk)."""
        from fsspec.implementations.local import LocalFileSystem

        if not isinstance(self._filesystem(), LocalFileSystem):
            return [tempfile.gettempdir()]
        return [folder for folder, _, _ in os.walk(self._root)]

    def _filesystem(self) -> Any:
        if self._fs is None:
            from fsspec.core import url_to_fs

            self._fs, self._root = url_to_fs(self._url, **self._fs_args, **self._credentials)
        return self._fs


class IncrementalDataset(PartitionedDataset):
    """A partitioned dataset that gives each consumer only the partitions it has not processed.

    Args:
        path: See :class:`PartitionedDataset`.
        dataset: See :class:`PartitionedDataset`.
        consumer: The name this entry's consumer processes under; each consumer keeps its own
            checkpoint, so several pipelines can read the same folder independently.
        checkpoint: Where the checkpoint is kept (default:
            ``<path>/.datamill-checkpoints/<consumer>.json``).
        **kwargs: See :class:`PartitionedDataset`.

    Loading returns the unprocessed partitions (an empty mapping when there is none). The
    checkpoint only advances when :meth:`confirm` is called, which the runner does after
    the consuming node succeeded; a node that fails gets the same partitions again next run.

    Example YAML::

        new_events:
          type: partitions.IncrementalDataset
          path: data/01_raw/events/
          dataset: json.JSONDataset
          filename_suffix: .json
          consumer: daily_summary
    """

    confirms_on_success: ClassVar[bool] = True

    def __init__(
        self,
        path: str,
        dataset: str | type[AbstractDataset[Any, Any]] | Mapping[str, Any],
        *,
        consumer: str = "default",
        checkpoint: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(path, dataset, **kwargs)
        if not consumer or "/" in consumer:
            raise DatasetError(
                f"IncrementalDataset({path!r}): consumer must be a non-empty name without '/', "
                f"got {consumer!r}."
            )
        self._consumer = consumer
        checkpoint_path = checkpoint or f"{self._url}/{_CHECKPOINTS}/{consumer}.json"
        self._checkpoint_path = checkpoint_path
        self._pending: set[str] = set()

    def _load(self) -> dict[str, Loader]:
        processed = self.processed()
        fresh = [pid for pid in self._partition_ids() if pid not in processed]
        self._pending = set(fresh)
        return {pid: self.partition(pid).load for pid in fresh}

    def _exists(self) -> bool:
        return bool(set(self._partition_ids()) - self.processed())

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "consumer": self._consumer}

    def processed(self) -> set[str]:
        """The partition ids this consumer has processed."""
        checkpoint = self._checkpoint()
        if not checkpoint.exists():
            return set()
        stored = checkpoint.load()
        return set(stored.get("processed", [])) if isinstance(stored, dict) else set()

    def confirm(self) -> None:
        """Record the partitions handed out by the last load as processed."""
        if not self._pending:
            return
        processed = sorted(self.processed() | self._pending)
        self._checkpoint().save({"consumer": self._consumer, "processed": processed})
        self._pending = set()

    def _checkpoint(self) -> AbstractDataset[Any, Any]:
        from datamill.datasets.json import JSONDataset

        return JSONDataset(
            self._checkpoint_path,
            save_args={"indent": None},
            fs_args=self._fs_args,
            credentials=self._credentials,
        )


def _checksum(info: Mapping[str, Any]) -> object:
    return info.get("ETag") or info.get("md5") or info.get("mtime") or info.get("size")


def _stamp(info: Mapping[str, Any]) -> str:
    """One partition's fingerprint from its listing entry: its size and checksum or time."""
    return f"{info.get('size')}:{_checksum(info)}"


def _partition_type(
    dataset: str | type[AbstractDataset[Any, Any]] | Mapping[str, Any], where: str
) -> tuple[type[AbstractDataset[Any, Any]], dict[str, Any]]:
    if isinstance(dataset, Mapping):
        config = dict(dataset)
        type_name = config.pop("type", None)
        if not isinstance(type_name, str):
            raise DatasetError(f"The partition dataset of {where} needs a string 'type'.")
        return resolve_type(type_name, where), config
    if isinstance(dataset, str):
        return resolve_type(dataset, where), {}
    if isinstance(dataset, type) and issubclass(dataset, AbstractDataset):
        return dataset, {}
    raise DatasetError(
        f"The partition dataset of {where} must be a type name, a dataset class or a mapping "
        f"with 'type', got {dataset!r}."
    )
