"""Settings shared by the whole suite."""

from __future__ import annotations

import os
import signal

from hypothesis import HealthCheck, settings

# Time never fails a test (speed is the benchmarks' business): on a loaded machine an
# example may take longer than Hypothesis's deadline, and generating examples may be slow.
_UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI must not fail on an example nobody saw before: there, property tests replay the same
# examples every run (derived from each test), while developers' runs keep exploring.
settings.register_profile("ci", _UNTIMED, derandomize=True, print_blob=True)
settings.register_profile("developer", _UNTIMED)
settings.load_profile("ci" if os.environ.get("CI") else "developer")

# A shell script that starts the suite in the background (`make test &`) starts it with
# SIGINT ignored, and every process it starts inherits that: the tests that press Ctrl-C
# would wait for ever. Python's own handler, as at an interactive start, puts that right
# (a process started from here begins with SIGINT at its default again).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
