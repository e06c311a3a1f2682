"""Importing Kedro for the benchmarks: logging at WARNING, and the modules the adapters use."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOGGING_CONFIG = Path(__file__).with_name("kedro_logging.yml")


@dataclass(frozen=True)
class Kedro:
    """Kedro's version and the modules the adapters call."""

    version: str
    io: Any
    pipeline: Any
    runner: Any
    config: Any


def import_kedro() -> Kedro:
    """Import Kedro with its logging at WARNING (it reads the config when first imported)."""
    os.environ.setdefault("KEDRO_LOGGING_CONFIG", str(LOGGING_CONFIG))
    import kedro
    from kedro import config, io, pipeline, runner

    logging.getLogger("kedro").setLevel(logging.WARNING)
    return Kedro(kedro.__version__, io, pipeline, runner, config)
