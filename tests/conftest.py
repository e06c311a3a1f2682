"""Settings shared by the whole suite."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must not fail on an example nobody saw before: there, property tests replay the same
# examples every run (derived from each test), while developers' runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
