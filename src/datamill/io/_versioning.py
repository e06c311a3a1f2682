"""Version identifiers for versioned datasets.

A versioned dataset stores each save under ``<filepath>/<version>/<basename>``. Versions are
strings that sort by time: a UTC timestamp to the microsecond, then a random suffix that
keeps two processes saving in the same microsecond apart. Within one process, a counter
(restarted at each new microsecond) keeps each new version after the previous one even when
the clock stalls or goes back.
"""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, datetime

__all__ = ["VERSION_FORMAT", "VersionClock", "generate_version", "validate_version"]

VERSION_FORMAT = "%Y-%m-%dT%H.%M.%S.%fZ"
_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+\-]*$")


class VersionClock:
    """Issues version ids in increasing order; the module keeps one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_stamp = ""
        self._sequence = 0

    def next(self) -> str:
        """A new version id, later than every id this clock issued before."""
        with self._lock:
            stamp = datetime.now(UTC).strftime(VERSION_FORMAT)
            if stamp <= self._last_stamp:  # same microsecond, or the clock went back
                stamp = self._last_stamp
                self._sequence += 1
            else:
                self._sequence = 0
            self._last_stamp = stamp
            return f"{stamp}-{self._sequence:04x}-{secrets.token_hex(3)}"


_CLOCK = VersionClock()


def generate_version() -> str:
    """A new version id, later than every id this process generated before.

    Example: ``2026-11-22T10.15.00.123456Z-0000-3fa2c1``.
    """
    return _CLOCK.next()


def validate_version(version: str, dataset: str) -> str:
    """Return ``version`` if it can name a folder, else raise ``ValueError`` naming it."""
    if not isinstance(version, str) or not _PATTERN.match(version):
        raise ValueError(
            f"Version {version!r} of {dataset} is not a valid version id: use letters, digits "
            "and . _ : + - (e.g. one listed by list_versions())."
        )
    return version
