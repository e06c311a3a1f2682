"""Benchmark datamill's configuration loading; prints one JSON line per case.

Usage::

    .venv/bin/python benchmarks/bench_config_datamill.py [--quick] [--timeout SECONDS]

Each repeat creates a ``ConfigLoader(conf, env="local")`` and reads its ``["parameters"]``
(see ``config_workloads``); ``benchmarks/run.py`` compares the results with
``bench_config_kedro.py``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import datamill
from config_workloads import ConfigAdapter, main
from datamill.config import ConfigLoader


class DatamillConfigAdapter:
    """Loads parameters with datamill's public ``ConfigLoader``."""

    name = "datamill"
    version = datamill.__version__

    def load_parameters(self, conf: Path) -> dict[str, Any]:
        """A fresh ``ConfigLoader`` for environment ``local``; its merged parameters."""
        return ConfigLoader(conf, env="local")["parameters"]


def _adapter() -> ConfigAdapter:
    return DatamillConfigAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("datamill", datamill.__version__)))
