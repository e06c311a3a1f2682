"""Journals in temporary folders, and helpers to fill them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from datamill.journal import DatasetRecord, Journal, NodeRecord, RunStart

T0 = datetime(2025, 11, 22, 10, 15, tzinfo=UTC)
"""A fixed start time; tests place runs and nodes relative to it."""


def at(seconds: float) -> datetime:
    """``seconds`` after `T0`."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where a project keeps its journal (the folder does not exist yet)."""
    return tmp_path / "project" / ".datamill" / "journal.db"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    """An open, empty journal."""
    with Journal(path) as opened:
        yield opened


def start(
    journal: Journal,
    run_id: str,
    *,
    second: float = 0,
    pipeline: str = "__default__",
    **fields: Any,
) -> RunStart:
    """Start run ``run_id`` at ``second`` after `T0` (in this process) and return its start."""
    record = RunStart(run_id, pipeline, started=at(second), **fields)
    journal.start_run(record)
    return record


def ran(
    name: str,
    *,
    second: float = 1,
    code: str = "c1",
    loads: dict[str, str | None] | None = None,
    saves: dict[str, str | None] | None = None,
    **fields: Any,
) -> NodeRecord:
    """A node that ran, ending ``second`` after `T0`.

    ``loads`` and ``saves`` map dataset names to versions; each dataset's fingerprint is
    ``fp-<name>-<version>``, and the input fingerprints follow the loads.
    """
    loads, saves = loads or {}, saves or {}
    datasets = [DatasetRecord(n, "load", v, f"fp-{n}-{v}") for n, v in loads.items()]
    datasets += [
        DatasetRecord(n, "save", v, f"fp-{n}-{v}", persisted=True) for n, v in saves.items()
    ]
    defaults: dict[str, Any] = {
        "started": at(second - 0.5),
        "ended": at(second),
        "duration": 0.5,
        "code_fingerprint": code,
        "input_fingerprints": {n: f"fp-{n}-{v}" for n, v in loads.items()},
        "datasets": tuple(datasets),
    }
    return NodeRecord(name, "ran", **(defaults | fields))
