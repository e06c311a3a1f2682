"""Facts about processes on this machine, shared by the journal and the I/O layer.

`process_alive` tells whether a process is still running (a process that exited but was
not reaped yet, a zombie, is not). `MACHINE_TAG` names this machine and
its process-id namespace, so that a process id recorded somewhere (a run, a temporary
file's name) is only ever checked where it means the same process: two containers may
share a hostname, or a folder, but each has its own process ids.
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Final

__all__ = ["MACHINE_TAG", "process_alive"]


def process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` runs on this machine; ``None`` when it cannot be told.

    On Windows, signal 0 would terminate the process rather than probe it, so the answer
    there is always ``None``.
    """
    if os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to another user
        return True
    except OSError:
        return None
    return not _exited(pid)


def _exited(pid: int) -> bool:
    """Whether process ``pid``, which still has an id, has exited and waits to be reaped.

    A killed process keeps its id until its parent collects its exit status; a parent that
    never does (or a container whose first process reaps nothing) leaves it a zombie for
    good. Linux tells from ``/proc``; elsewhere a zombie counts as alive.
    """
    if not _PROC:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except FileNotFoundError:  # reaped since
        return True
    except OSError:
        return False
    state = text[text.rfind(b")") + 2 :][:1]  # the field after "(command name)"
    return state in _EXITED_STATES


_PROC: Final = os.path.exists("/proc/self/stat")
_EXITED_STATES: Final = (b"Z", b"X")  # zombie, dead


def _machine_tag() -> str:
    try:  # Linux: the process-id namespace, e.g. "pid:[4026531836]"
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    identity = f"{socket.gethostname()}\0{namespace}".encode()
    return hashlib.blake2b(identity, digest_size=3).hexdigest()


MACHINE_TAG: Final = _machine_tag()
"""Six hex digits naming this host and its process-id namespace."""
