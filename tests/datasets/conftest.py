"""Fixtures for the SQL dataset tests: a throwaway PostgreSQL server on the loopback interface.

The server is started once per test session, only if a test asks for it: ``initdb`` into a
fresh temporary folder (as the ``postgres`` user when the tests run as root, since PostgreSQL
refuses to run as root), ``pg_ctl start -w`` listening on 127.0.0.1 only, on a free port, with
no Unix socket and no durability (it is thrown away). ``pg_ctl -w`` returns once the server
accepts connections, so nothing waits on timers. The server binaries come from the system;
``scripts/services/postgres.sh`` installs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

_SKIP_REASON = "PostgreSQL server binaries missing: run scripts/services/postgres.sh"
_SERVICE_USER = "postgres"
_SUPERUSER = "datamill"
_DATABASE = "datamill_test"


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running throwaway PostgreSQL server.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The TCP port it listens on.
        user: A superuser.
        password: The superuser's password.
        database: A database created for the tests.
    """

    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the test database, password included."""
        return self.url_with(password=self.password)

    def url_with(self, *, password: str | None) -> str:
        """The URL of the test database with another password, or none."""
        user = self.user if password is None else f"{self.user}:{password}"
        return f"postgresql+psycopg://{user}@{self.host}:{self.port}/{self.database}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: Debian's newest, else on the PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()],
    )
    candidates = [Path(p).parent for p in reversed(found)]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((d for d in candidates if (d / "initdb").is_file()), None)


def _run_as_prefix() -> list[str]:
    """The command prefix running a program as a user PostgreSQL accepts (never root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        pytest.skip(f"No {_SERVICE_USER!r} user to run PostgreSQL as: {_SKIP_REASON}")
    return ["runuser", "-u", _SERVICE_USER, "--"]


def _run(command: Sequence[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def _private_folder() -> Path:
    """A new folder in the system temp dir, owned by the user the server runs as."""
    folder = Path(tempfile.mkdtemp(prefix="datamill-postgres-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(_SERVICE_USER)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def _initdb(bin_dir: Path, prefix: list[str], folder: Path, password: str) -> Path:
    password_file = folder / "password"
    password_file.write_text(password + "\n", encoding="utf-8")
    if prefix:
        entry = pwd.getpwnam(_SERVICE_USER)
        os.chown(password_file, entry.pw_uid, entry.pw_gid)
    data = folder / "data"
    command = [str(bin_dir / "initdb"), "-D", str(data), "-U", _SUPERUSER]
    command += [f"--pwfile={password_file}", "--auth=scram-sha-256", "--no-sync"]
    command += ["--encoding=UTF8", "--no-locale"]
    try:
        _run([*prefix, *command], cwd=folder)
    finally:
        password_file.unlink()
    return data


def _start(bin_dir: Path, prefix: list[str], data: Path, port: int) -> None:
    settings = [
        "-c listen_addresses=127.0.0.1",
        f"-c port={port}",
        "-c unix_socket_directories=''",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
    ]
    log = data.parent / "server.log"
    command = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30"]
    _run([*prefix, *command, "-o", " ".join(settings), "start"], cwd=data.parent)


def _stop(bin_dir: Path, prefix: list[str], data: Path) -> None:
    command = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    _run([*prefix, *command], cwd=data.parent)


def _create_database(server: PostgresServer) -> None:
    import psycopg

    with psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'CREATE DATABASE "{server.database}"')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session, on 127.0.0.1, with a fresh test database.

    Skips the tests using it when the server binaries are not installed.
    """
    bin_dir = _server_bin_dir()
    if bin_dir is None:
        pytest.skip(_SKIP_REASON)
    prefix = _run_as_prefix()
    folder = _private_folder()
    try:
        password = f"pw-{secrets.token_hex(8)}"
        data = _initdb(bin_dir, prefix, folder, password)
        port = free_port()
        _start(bin_dir, prefix, data, port)
        try:
            server = PostgresServer("127.0.0.1", port, _SUPERUSER, password, _DATABASE)
            _create_database(server)
            yield server
        finally:
            _stop(bin_dir, prefix, data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["local", "memory"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh folder: on the local disk, or on fsspec's in-memory filesystem."""
    if request.param == "local":
        return str(tmp_path)
    return f"memory://tests-{uuid.uuid4().hex}"
