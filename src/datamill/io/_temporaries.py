"""Temporary files of saves in progress, and removing those that a killed save left behind.

A file dataset writes to a hidden temporary file first and renames it into place (see
``_file.py``), so a save that is killed leaves no partial file at the target, but it does
leave its temporary file. A dataset that saves a folder of files as one new version writes
them in a hidden temporary folder, renamed into place once complete. The name of either says
who wrote it::

    .<target name>.<machine tag>.<process id>.<random>.tmp

`discard_abandoned_writes` removes such files and folders in the folders the given datasets
write to, when they were written on this machine (same host and process-id namespace) by a
process that no longer exists. Nothing else is ever removed: a file of a live process (a
save in progress, in this run or another), of another machine sharing the folder, or of any
other name stays.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from typing import IO, Any

from datamill._processes import MACHINE_TAG, process_alive
from datamill.io._dataset import AbstractDataset

__all__ = ["discard_abandoned_writes", "temporary_file", "temporary_folder"]

_NAME = re.compile(r"\..+\.(?P<tag>[0-9a-f]{6})\.(?P<pid>[0-9]+)\.[0-9a-f]{16}\.tmp")


@contextlib.contextmanager
def temporary_file(folder: str, name: str) -> Iterator[tuple[IO[bytes], str]]:
    """A new hidden temporary file in ``folder`` for target ``name``, removed unless moved away.

    Unlike ``tempfile.mkstemp`` (always owner-only), the file gets the permissions of any new
    file under the process umask, and the final file keeps them after the rename.
    """
    temp = _temporary_name(folder, name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    stream = os.fdopen(os.open(temp, flags, 0o666), "wb")
    try:
        yield stream, temp
    finally:
        stream.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)


@contextlib.contextmanager
def temporary_folder(folder: str, name: str) -> Iterator[str]:
    """A new hidden temporary folder in ``folder`` for target ``name``, removed with all it
    holds unless moved away."""
    temp = _temporary_name(folder, name)
    os.mkdir(temp)
    try:
        yield temp
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _temporary_name(folder: str, name: str) -> str:
    return os.path.join(folder, f".{name}.{MACHINE_TAG}.{os.getpid()}.{secrets.token_hex(8)}.tmp")


def discard_abandoned_writes(datasets: Iterable[AbstractDataset[Any, Any]]) -> list[str]:
    """Remove the temporary files and folders that killed saves left where ``datasets`` write.

    Each folder (from `AbstractDataset.scratch_folders`) is listed once, however many
    datasets write there. A folder that cannot be listed is passed over.

    Returns:
        The paths of the files and folders removed.
    """
    folders = dict.fromkeys(folder for d in datasets for folder in d.scratch_folders())
    removed: list[str] = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                found = [
                    (entry.path, entry.is_dir(follow_symlinks=False))
                    for entry in entries
                    if _abandoned(entry.name)
                ]
        except OSError:  # gone, not a folder, not readable
            continue
        for path, is_folder in found:
            try:
                if is_folder:
                    shutil.rmtree(path)
                else:
                    os.remove(path)
            except FileNotFoundError:  # another run removed it first
                continue
            except OSError:  # not ours to remove after all (permissions)
                continue
            removed.append(path)
    return removed


def _abandoned(name: str) -> bool:
    match = _NAME.fullmatch(name)
    if match is None or match["tag"] != MACHINE_TAG:
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and process_alive(pid) is False
