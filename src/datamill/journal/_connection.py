"""Opening the journal's SQLite file: settings, schema checks and upgrades, clear errors.

The file is opened in WAL mode with ``synchronous=NORMAL``: readers never wait for a
writer, and a commit does not wait for the disk (a power cut may lose the last commits,
never the file). Several processes may write to one journal: each write transaction
starts with ``BEGIN IMMEDIATE``, which takes the write lock at once and waits up to the
busy timeout for it, instead of failing when a reader turns into a writer. Creating or
upgrading the schema is such a transaction, so two processes opening a new journal at the
same time create its tables once.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from datamill.errors import JournalError
from datamill.journal._codec import to_timestamp
from datamill.journal._records import utc_now
from datamill.journal._schema import MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = ["connect", "sqlite_errors", "translate"]


def connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) the journal at ``path``.

    Raises:
        JournalError: If the file is not a SQLite database, is another program's database,
            was written by a newer datamill, or cannot be opened.
    """
    _make_folder(path)
    with sqlite_errors(path, busy_timeout):
        connection = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    try:
        with sqlite_errors(path, busy_timeout):
            _prepare(connection, path, busy_timeout)
    except BaseException:
        connection.close()
        raise
    return connection


@contextmanager
def sqlite_errors(path: Path, busy_timeout: float) -> Iterator[None]:
    """Turn the SQLite errors raised inside into `JournalError` naming ``path``."""
    try:
        yield
    except (sqlite3.DatabaseError, sqlite3.InterfaceError) as error:
        raise translate(error, path, busy_timeout) from error


def translate(error: sqlite3.Error, path: Path, busy_timeout: float) -> JournalError:
    """A `JournalError` that says what went wrong with the journal at ``path`` and what to do."""
    name = getattr(error, "sqlite_errorname", "")
    if name in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}:
        message = (
            f"{path} is not a readable datamill journal (SQLite: {error}). Move the file "
            f"away (for example to {path.name}.broken) and datamill starts a new journal."
        )
    elif _is_busy(error):
        message = (
            f"The journal {path} is locked by another process and did not become free "
            f"within the busy timeout ({busy_timeout:g} s). Wait for the other run to "
            "finish, or open the journal with a longer busy_timeout."
        )
    elif name == "SQLITE_CANTOPEN" and path.is_dir():
        message = (
            f"The journal path {path} is a folder; the journal is a file. Choose a file "
            f"path (for example {path / 'journal.db'}), or move the folder away."
        )
    elif name in {"SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM"}:
        message = (
            f"Cannot write the journal {path} (SQLite: {error}). Check that the file and "
            "its folder exist and are writable, or choose another journal path."
        )
    elif name == "SQLITE_FULL":
        message = f"The disk holding the journal {path} is full. Free some space and retry."
    else:
        message = f"The journal {path} failed: {error}."
    return JournalError(message, path=str(path))


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise JournalError(
            f"Cannot create the folder of the journal {path}: {error}. Create it, or "
            "choose another journal path.",
            path=str(path),
        ) from error


def _prepare(connection: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    version = _user_version(connection)  # the first read: fails here for a non-database
    _check_not_newer(version, path)
    _use_wal(connection, busy_timeout)
    connection.execute("PRAGMA synchronous = NORMAL")
    # Foreign keys are not enforced: every write checks in its own transaction that its run
    # is in the journal and running, and enforcing them would double the cost of a node
    # record (a test checks with ``PRAGMA foreign_key_check`` that the references hold).
    connection.execute("PRAGMA foreign_keys = OFF")
    if version < SCHEMA_VERSION:
        _upgrade(connection, path)


def _use_wal(connection: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch a new journal to WAL mode (the mode is kept in the file).

    The switch needs the file to itself, and SQLite reports a busy file at once here
    instead of waiting, so a process opening a new journal while another creates it
    retries until the busy timeout. A file system without WAL support keeps its mode.
    """
    if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + busy_timeout
    pause = 0.001
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() + pause > deadline:
                raise
        else:
            return
        time.sleep(pause)
        pause = min(2 * pause, 0.05)


def _is_busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorname", "") in {"SQLITE_BUSY", "SQLITE_LOCKED"}


def _user_version(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _check_not_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"The journal {path} was written by a newer datamill (schema version {version}; "
            f"this datamill reads up to version {SCHEMA_VERSION}). Upgrade datamill, or "
            "use another journal path.",
            path=str(path),
        )


def _upgrade(connection: sqlite3.Connection, path: Path) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(connection)  # another process may have upgraded it
        _check_not_newer(version, path)
        if version == 0:
            _check_empty(connection, path)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            _migrate(connection, target)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _check_empty(connection: sqlite3.Connection, path: Path) -> None:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    tables = sorted(str(row[0]) for row in rows)
    if tables:
        known = (
            " (it looks like a datamill journal missing its version)"
            if TABLES & set(tables)
            else ""
        )
        raise JournalError(
            f"{path} is a SQLite database but not a datamill journal{known}: it holds the "
            f"tables {', '.join(tables)}. Move it away or choose another journal path.",
            path=str(path),
        )


def _migrate(connection: sqlite3.Connection, target: int) -> None:
    for statement in MIGRATIONS[target - 1]:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO schema_version (version, applied) VALUES (?, ?)",
        (target, to_timestamp(utc_now())),
    )
    # PRAGMA takes no parameters; target is an int from range()
    connection.execute(f"PRAGMA user_version = {int(target)}")
