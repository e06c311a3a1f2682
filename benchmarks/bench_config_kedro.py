"""Benchmark Kedro's configuration loading; prints one JSON line per case.

Usage (with the Python of the virtualenv ``run.py`` creates in ``.bench-venvs/``)::

    .bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_config_kedro.py [--quick]

Each repeat creates ``OmegaConfigLoader(conf_source=conf, base_env="base",
default_run_env="local")`` (the arguments a Kedro project's ``settings.py`` passes, with
Kedro's default file patterns and merge strategy) and reads its ``["parameters"]``. The
constructor already loads ``globals``, so it is part of the time, as datamill's loading of
the globals is.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _kedro import import_kedro
from config_workloads import ConfigAdapter, main


class KedroConfigAdapter:
    """Loads parameters with Kedro's ``OmegaConfigLoader``."""

    name = "kedro"

    def __init__(self) -> None:
        kedro = import_kedro()
        self.version: str = kedro.version
        self._loader_class: Any = kedro.config.OmegaConfigLoader

    def load_parameters(self, conf: Path) -> dict[str, Any]:
        """A fresh ``OmegaConfigLoader`` running environment ``local``; its parameters."""
        loader = self._loader_class(conf_source=str(conf), base_env="base", default_run_env="local")
        parameters: dict[str, Any] = loader["parameters"]
        return parameters


def _adapter() -> ConfigAdapter:
    return KedroConfigAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("kedro", version("kedro"))))
