"""Node functions that log or print, for the tests of logging from worker processes.

They live in an importable module so that the process executor's workers can import them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator

LOGGER = "tests.resources.logging_funcs"
log = logging.getLogger(LOGGER)
quiet = logging.getLogger(f"{LOGGER}.quiet")


def chatty(x: int) -> int:
    """Log at every level, with the worker's process id."""
    log.debug("debug from %d", os.getpid())
    log.info("info from %d", os.getpid())
    log.warning("warning of %s", x)
    quiet.info("info for the quiet logger")
    return x + 1


def failing_log(x: int) -> int:
    """Log an error with its traceback, then return."""
    try:
        _ = x / 0
    except ZeroDivisionError:
        log.exception("could not divide %s", x)
    return x


def odd_extra(x: int) -> int:
    """Log with an attribute that cannot be pickled."""
    log.info("with a lock", extra={"lock": threading.Lock()})
    return x


def from_a_thread(x: int) -> int:
    """Log from a thread the node starts and waits for."""
    thread = threading.Thread(target=lambda: log.info("from a thread of the node"))
    thread.start()
    thread.join()
    return x


def logged_parts(x: int) -> Iterator[int]:
    """A generator node that logs before each chunk."""
    for part in range(3):
        log.info("part %d", part)
        yield x + part


def echo_message(message: str) -> str:
    """Log ``message`` (a long one crosses in many frames)."""
    log.info(message)
    return message


def printing(x: int) -> int:
    """Print to both streams around a log record; the last line has no newline."""
    print("out 1")
    log.info("logged between")
    print("err 1", file=sys.stderr)
    sys.stdout.write("out 2\nout 3 ")
    print("tail", end="")
    return x


def stream_facts(x: int) -> tuple[str, int, str | None]:
    """What a library may ask of ``sys.stdout``: its type, descriptor and encoding."""
    return type(sys.stdout).__name__, sys.stdout.fileno(), sys.stdout.encoding
