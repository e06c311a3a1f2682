"""Datasets stored as one file on any fsspec filesystem, written atomically, optionally versioned.

**Atomic writes.** A save never leaves a partial file at the target path and never damages
what was there before. On a local disk the data is written to a hidden temporary file in the
target's folder, flushed to disk, then renamed over the target (a rename within one folder
is atomic). On other filesystems (object stores, memory) it is written to a local temporary
file and then uploaded in one operation, which object stores only make visible once
complete. A failed save removes its temporary file; a killed one leaves it behind, and the
next run that writes to that folder removes it (see `discard_abandoned_writes`).

**Versioning.** With ``versioned=True`` each save goes to ``<filepath>/<version>/<basename>``
and an existing version is never overwritten. A load reads ``load_version`` if given, else
the latest version. On a local disk the temporary file is written in ``<filepath>``, and the
version's folder is made only to link the finished file into it, so a save that fails or is
killed leaves no empty version folder.

**Fingerprints.** :meth:`FileDataset.fingerprint` identifies the current content cheaply:
the object store's checksum of the content (GCS's MD5 or CRC32C, S3's ETag, an MD5 the
uploader set on an Azure blob) when it has one, else a BLAKE2 hash of the content, cached by
size and modification stamp (an Azure blob's etag, which changes with every write even of the
same bytes) so an unchanged file is hashed once. An object this process uploaded is hashed
from its local copy, never downloaded again for it. Within
`remembered_hashes` (a session's runs use its journal), the hash of a file of at least
`REMEMBER_FROM` bytes is also kept there, so that later processes do not read an unchanged
large file again.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import logging
import os
import posixpath
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import IO, Any, Final, Protocol, TypeVar

from datamill.errors import DatasetError
from datamill.io._dataset import AbstractDataset
from datamill.io._temporaries import temporary_file, temporary_folder
from datamill.io._versioning import generate_version, validate_version

__all__ = ["REMEMBER_FROM", "FileDataset", "HashStore", "remembered_hashes"]

REMEMBER_FROM: Final = 1 << 20
"""Files at least this large (bytes) have their content hash kept in the `HashStore`."""

_log = logging.getLogger("datamill.io")


class HashStore(Protocol):
    """Where content hashes of files outlive the process (the run journal is one).

    A hash is looked up by the file's URL and a stamp of its size, modification time and
    (locally) inode: any change to the file gives another stamp.
    """

    def file_hash(self, url: str, stamp: str) -> str | None:
        """The hash kept for ``url`` with that stamp, or ``None``."""

    def remember_file_hash(self, url: str, stamp: str, digest: str) -> None:
        """Keep ``digest`` as the hash of ``url`` while its stamp is ``stamp``."""


_store: HashStore | None = None


@contextlib.contextmanager
def remembered_hashes(store: HashStore) -> Iterator[None]:
    """Within the block, file datasets keep the content hashes of large files in ``store``."""
    global _store  # noqa: PLW0603 - one store for every dataset object, in every thread
    previous, _store = _store, store
    try:
        yield
    finally:
        _store = previous


LoadT = TypeVar("LoadT")
SaveT = TypeVar("SaveT")

_CHECKSUM_KEYS = ("md5Hash", "crc32c", "md5", "content_md5", "ETag")
"""The keys of a filesystem's ``info`` that hold a checksum of the content, best first. Not
the lower-case ``etag`` of Azure Blob and GCS: it names a write, not a content."""

_STAMP_KEYS = ("mtime", "LastModified", "etag", "last_modified", "created")
"""The keys of ``info`` that change when a file is written, best first."""


class FileDataset(AbstractDataset[LoadT, SaveT]):
    """Base class of datasets kept in one file; subclasses implement ``_read`` and ``_write``.

    Args:
        filepath: A local path or any fsspec URL (``s3://bucket/key.csv``, ``memory://x``).
        load_args: Options for reading, passed to the library (see each dataset).
        save_args: Options for writing.
        fs_args: Options for the fsspec filesystem (e.g. ``{"anon": True}``).
        credentials: Storage options with secrets (keys, tokens); merged into ``fs_args``
            and never shown by :meth:`describe`.
        versioned: Keep every save as a new version.
        load_version: The version to load (default: the latest).
        save_version: The version to save as (default: a new one per save); a run passes one
            id to every versioned dataset it saves.
        metadata: Free-form information for plugins; ignored by datamill.
    """

    def __init__(
        self,
        filepath: str,
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Any] | None = None,
        versioned: bool = False,
        load_version: str | None = None,
        save_version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(filepath, str) or not filepath:
            raise DatasetError(f"{type(self).__name__} needs a filepath, got {filepath!r}.")
        self._filepath = filepath
        self._load_args = dict(load_args or {})
        self._save_args = dict(save_args or {})
        self._fs_args = dict(fs_args or {})
        self._credentials = dict(credentials or {})
        self._versioned = versioned
        where = f"{type(self).__name__}({filepath!r})"
        self._load_version = None if load_version is None else validate_version(load_version, where)
        self._save_version = None if save_version is None else validate_version(save_version, where)
        self.metadata = dict(metadata or {})
        self._fs: Any = None
        self._path = ""
        self._hash_cache: dict[tuple[str, object, object], str] = {}

    # -- what subclasses implement -----------------------------------------------------

    @abc.abstractmethod
    def _read(self, stream: IO[bytes]) -> LoadT:
        """Read the data from a binary stream."""

    @abc.abstractmethod
    def _write(self, data: SaveT, stream: IO[bytes]) -> None:
        """Write the data to a binary stream."""

    # -- the dataset contract ----------------------------------------------------------

    def _load(self) -> LoadT:
        path = self._load_path()
        try:
            stream = self._filesystem().open(path, "rb")
        except FileNotFoundError as exc:
            raise self._missing(path) from exc
        with stream:  # errors while reading are the library's, reported as they are
            return self._read(stream)

    def _save(self, data: SaveT) -> None:
        path = self._new_save_path()
        fs = self._filesystem()
        self._hash_cache.clear()  # before the write, which may keep the new content's hash
        if self._is_local(fs):
            self._write_local(data, path, replace=not self._versioned)
        else:
            self._write_remote(data, fs, path)

    def _exists(self) -> bool:
        if self._versioned and self._load_version is None:
            return bool(self._versions())
        return bool(self._filesystem().exists(self._load_path()))

    def _release(self) -> None:
        self._filesystem().invalidate_cache(self._path)

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "load_args": self._load_args or None,
            "save_args": self._save_args or None,
            "fs_args": self._fs_args or None,
            "versioned": self._versioned or None,
            "load_version": self._load_version,
        }

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fs"] = None  # filesystems hold connections: rebuild them after unpickling
        return state

    def scratch_folders(self) -> list[str]:
        """Where saves write temporary files: on a local disk the target's folder (when
        versioned, the folder that holds the versions), elsewhere the system's temporary
        folder."""
        fs = self._filesystem()
        if not self._is_local(fs):
            return [tempfile.gettempdir()]
        if not self._versioned:
            return [os.path.dirname(self._path) or "."]
        return [self._path]

    # -- versions ----------------------------------------------------------------------

    @property
    def filepath(self) -> str:
        """The configured path or URL."""
        return self._filepath

    def list_versions(self) -> list[str]:
        """Every saved version, oldest first (empty for an unversioned dataset)."""
        return self._versions() if self._versioned else []

    def current_version(self) -> str | None:
        """The version a load would read now (None when unversioned or nothing is saved)."""
        if not self._versioned:
            return None
        if self._load_version is not None:
            return self._load_version
        versions = self._versions()
        return versions[-1] if versions else None

    def resolved_load_path(self) -> str:
        """The full URL a load would read (the latest version for a versioned dataset)."""
        return self._display(self._load_path())

    def fingerprint(self) -> str | None:
        """A cheap identity of the current content, or ``None`` if there is no file."""
        fs = self._filesystem()
        try:
            path = self._load_path()
            info = _local_info(path) if self._is_local(fs) else fs.info(path)
        except (FileNotFoundError, DatasetError):  # no file, or no version yet
            return None
        return _checksum(info) or f"blake2b:{self._content_hash(fs, path, info)}"

    # -- helpers -----------------------------------------------------------------------

    def _filesystem(self) -> Any:
        if self._fs is None:
            from fsspec.core import url_to_fs  # imported on first use (fast start)

            options = {**self._fs_args, **self._credentials}
            self._fs, self._path = url_to_fs(self._filepath, **options)
        return self._fs

    def _is_local(self, fs: Any) -> bool:
        return _is_local(fs)

    def _basename(self) -> str:
        return PurePosixPath(self._path).name

    def _versions(self) -> list[str]:
        fs = self._filesystem()
        fs.invalidate_cache(self._path)  # another process may have saved a version since
        pattern = posixpath.join(self._path, "*", self._basename())
        return sorted(PurePosixPath(p).parent.name for p in fs.glob(pattern))

    def _load_path(self) -> str:
        self._filesystem()
        if not self._versioned:
            return self._path
        version = self._load_version or self._latest_version()
        return posixpath.join(self._path, version, self._basename())

    def _latest_version(self) -> str:
        versions = self._versions()
        if not versions:
            raise DatasetError(
                f"{self!r} has no saved version under {self._display(self._path)}; save it "
                "first or check the filepath."
            )
        return versions[-1]

    def _new_save_path(self) -> str:
        self._filesystem()
        if not self._versioned:
            return self._path
        version = self._save_version or generate_version()
        path = posixpath.join(self._path, version, self._basename())
        if self._fs.exists(path):
            raise DatasetError(
                f"Version {version!r} of {self!r} already exists at {self._display(path)}; "
                "versions are never overwritten. Save under a new version."
            )
        return path

    def _missing(self, path: str) -> DatasetError:
        if self._versioned and self._load_version is not None:
            available = ", ".join(repr(v) for v in self._versions()) or "none"
            return DatasetError(
                f"{self!r} has no version {self._load_version!r} under "
                f"{self._display(self._path)}; available: {available}."
            )
        return DatasetError(
            f"{self!r} has no file at {self._display(path)}; run the node that produces it "
            "or check the filepath."
        )

    def _display(self, path: str) -> str:
        return str(self._filesystem().unstrip_protocol(path))

    def _write_local(self, data: SaveT, path: str, *, replace: bool) -> None:
        folder = os.path.dirname(path) or "."
        # A new version's folder is made only to link the written file into it: a save
        # that fails or is killed leaves no empty version behind (its temporary file, in
        # the folder of the versions, is removed by the next run that writes there).
        scratch = folder if replace else os.path.dirname(folder) or "."
        os.makedirs(scratch, exist_ok=True)
        with temporary_file(scratch, os.path.basename(path)) as (stream, temp):
            self._write(data, stream)
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            if replace:
                os.replace(temp, path)
            else:
                os.makedirs(folder, exist_ok=True)
                self._link_new(temp, path)
        _fsync_folder(folder)
        if scratch != folder:
            _fsync_folder(scratch)  # its entry for the new version's folder

    def _write_local_folder(self, files: Mapping[str, bytes], path: str) -> None:
        """Write ``files`` (file name: content) as the new folder ``path`` of a new version,
        all or nothing: they are written and synced in a hidden temporary folder among the
        versions, which is renamed to ``path`` once complete. A save that fails or is killed
        leaves no version, only (when killed) that folder, for the next run to remove."""
        version = os.path.dirname(path)
        versions = os.path.dirname(version) or "."
        os.makedirs(versions, exist_ok=True)
        with temporary_folder(versions, os.path.basename(path)) as temp:
            for name, content in files.items():
                with open(os.path.join(temp, name), "xb") as stream:
                    stream.write(content)
                    stream.flush()
                    os.fsync(stream.fileno())
            _fsync_folder(temp)
            os.makedirs(version, exist_ok=True)
            try:  # never replaces a folder that holds anything, even when two saves race
                os.rename(temp, path)
            except OSError as exc:
                if not os.path.exists(path):
                    raise
                raise DatasetError(
                    f"{self!r} already has a folder at {path}; versions are never overwritten. "
                    "Save under a new version."
                ) from exc
        _fsync_folder(version)
        _fsync_folder(versions)

    def _link_new(self, temp: str, path: str) -> None:
        exists = DatasetError(
            f"{self!r} already has a file at {path}; versions are never overwritten. Save "
            "under a new version."
        )
        try:  # a hard link never replaces an existing file, even when two saves race
            os.link(temp, path)
        except FileExistsError as exc:
            raise exists from exc
        except OSError:  # no hard links on this filesystem: check, then rename
            if os.path.exists(path):
                raise exists from None
            os.replace(temp, path)

    def _write_remote(self, data: SaveT, fs: Any, path: str) -> None:
        with temporary_file(tempfile.gettempdir(), posixpath.basename(path)) as (stream, temp):
            self._write(data, stream)
            stream.close()
            parent = posixpath.dirname(path)
            if parent:
                fs.makedirs(parent, exist_ok=True)
            fs.put_file(temp, path)
            self._hash_upload(fs, path, temp)

    def _hash_upload(self, fs: Any, path: str, temp: str) -> None:
        """Keep the hash of the object just uploaded to ``path`` from ``temp``, its local
        copy, when the store gives no checksum: its fingerprint then downloads nothing."""
        try:
            info = fs.info(path)
        except Exception as error:  # a cache must not fail the save
            _log.debug("could not read back %s: %s", path, error)
            return
        stamp = _stamp(info)
        if _checksum(info) is not None or stamp is None:
            return
        digest = _hash_file(_local_filesystem(), temp)
        self._hash_cache[path, info.get("size"), stamp] = digest
        if _store is not None and (info.get("size") or 0) >= REMEMBER_FROM:
            _remember(_store, fs.unstrip_protocol(path), _stamp_key(info, stamp), digest)

    def _content_hash(self, fs: Any, path: str, info: Mapping[str, Any]) -> str:
        stamp = _stamp(info)
        if stamp is None:  # nothing tells one content from the next: hash it every time
            return _hash_file(fs, path)
        key = (path, info.get("size"), stamp)
        cached = self._hash_cache.get(key)
        if cached is None:
            store = _store if (info.get("size") or 0) >= REMEMBER_FROM else None
            if store is None:
                cached = _hash_file(fs, path)
            else:
                cached = _remembered_hash(store, fs, path, info, stamp)
            self._hash_cache[key] = cached
        return cached


def _checksum(info: Mapping[str, Any]) -> str | None:
    """The store's own checksum of a file's content, as a fingerprint, if it gives one."""
    for key in _CHECKSUM_KEYS:
        if info.get(key):
            return f"{key}:{str(info[key]).strip(chr(34))}"
    settings = info.get("content_settings")  # Azure Blob: set by some uploaders only
    md5 = settings.get("content_md5") if isinstance(settings, Mapping) else None
    if md5:
        return f"content_md5:{bytes(md5).hex()}"
    return None


def _stamp(info: Mapping[str, Any]) -> object:
    """What changes when the file is written (None when the filesystem tells nothing)."""
    for key in _STAMP_KEYS:
        if info.get(key):
            return info[key]
    return None


def _stamp_key(info: Mapping[str, Any], stamp: object) -> str:
    return f"{info.get('size')}:{stamp}:{info.get('ino') or ''}"


def _local_filesystem() -> Any:
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem()


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _local_info(path: str) -> dict[str, Any]:
    """What ``LocalFileSystem.info`` gives of a file for its fingerprint, from one ``stat``
    (fsspec's own builds a dozen fields, at about four times the cost)."""
    found = os.stat(path)
    return {"size": found.st_size, "mtime": found.st_mtime, "ino": found.st_ino}


def _hash_file(fs: Any, path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") if _is_local(fs) else fs.open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _remembered_hash(
    store: HashStore, fs: Any, path: str, info: Mapping[str, Any], stamp: object
) -> str:
    """The file's hash from ``store``, else computed and kept there.

    The store only saves time: when it fails (say, a journal locked for too long), the
    hash is computed and the failure logged.
    """
    url = fs.unstrip_protocol(path)
    key = _stamp_key(info, stamp)
    try:
        found = store.file_hash(url, key)
    except Exception as error:  # a cache must not fail the run
        _log.debug("could not look up the hash of %s: %s", url, error)
        found = None
    if found is not None:
        return found
    digest = _hash_file(fs, path)
    _remember(store, url, key, digest)
    return digest


def _remember(store: HashStore, url: str, key: str, digest: str) -> None:
    try:
        store.remember_file_hash(url, key, digest)
    except Exception as error:  # a cache must not fail the run
        _log.debug("could not keep the hash of %s: %s", url, error)


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
