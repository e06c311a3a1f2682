"""Settings shared by the whole suite."""

from __future__ import annotations

import os
import signal

from hypothesis import settings

# CI must not fail on an example nobody saw before: there, property tests replay the same
# examples every run (derived from each test), while developers' runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

# A shell script that starts the suite in the background (`make test &`) starts it with
# SIGINT ignored, and every process it starts inherits that: the tests that press Ctrl-C
# would wait for ever. Python's own handler, as at an interactive start, puts that right
# (a process started from here begins with SIGINT at its default again).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
