"""A run's heartbeat: a write to the journal every half minute while the run goes on.

A run writes to the journal as its nodes finish, but nothing while a node takes hours. A run
of this machine is known to be alive by its process; a run of another machine (a container,
a shared disk) only by how recently it wrote, which the journal's staleness judges
(``JOURNAL_STALE_AFTER``). The heartbeat keeps that recent during long nodes, so that such a
run reads as ``crashed`` soon after its process died, and never while it lives.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Final

from datamill.errors import JournalError
from datamill.journal import Journal

__all__ = ["INTERVAL", "Heartbeat"]

INTERVAL: Final = 30.0
"""Seconds between two heartbeats of a run."""

_log = logging.getLogger(__name__)


class Heartbeat:
    """A daemon thread that notes in ``journal`` that run ``run_id`` goes on, every
    ``interval`` seconds, from entering the context to leaving it.

    Start it once the run's worker processes exist: forking while it runs is unsafe.
    """

    def __init__(self, journal: Journal, run_id: str, interval: float | None = None) -> None:
        self._journal = journal
        self._run_id = run_id
        self._interval = INTERVAL if interval is None else interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="datamill-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._journal.heartbeat(self._run_id)
            except JournalError as exc:  # a journal busy for long: the next beat tries again
                _log.warning(
                    "Could not note in the journal that run %s goes on: %s", self._run_id, exc
                )
