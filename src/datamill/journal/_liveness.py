"""Telling a run that is still going from one whose process died (``crashed``).

A run is stored as ``running`` until `Journal.finish_run` records how it ended. A process
killed outright (SIGKILL, out of memory, power loss) never gets there, so the status read
back is derived: a ``running`` run recorded on this host whose process no longer exists is
``crashed``. A process id can be reused, so each process also records a random token; a run
recorded with this very process's id but another token belonged to an earlier process and
is ``crashed`` too. A run recorded on another host (or on Windows) cannot be checked: it
stays ``running`` unless the journal is given a staleness, after which such a run that has
not written anything for that long is ``crashed``. The staleness never overrides a process
check: a long node on this host whose process is alive stays ``running``.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Final

from datamill._processes import process_alive
from datamill.journal._records import RunStatus

__all__ = ["PROCESS_TOKEN", "derive_status", "process_alive"]

PROCESS_TOKEN: Final = secrets.token_hex(8)
"""Random per process; tells this process from an earlier one that had the same id."""


def derive_status(
    stored: RunStatus,
    *,
    pid: int,
    host: str,
    token: str | None,
    last_seen: datetime,
    now: datetime,
    stale_after: timedelta | None,
) -> RunStatus:
    """The status to report for a run stored as ``stored`` (see the module docstring)."""
    if stored != "running":
        return stored
    alive = _alive(pid, token) if host == socket.gethostname() else None
    if alive is None:
        alive = stale_after is None or now - last_seen <= stale_after
    return "running" if alive else "crashed"


def _alive(pid: int, token: str | None) -> bool | None:
    if pid == os.getpid():
        return token == PROCESS_TOKEN
    return process_alive(pid)
