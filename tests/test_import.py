"""Importing datamill stays light: no data, plotting, cluster or web libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "polars",
    "pyarrow",
    "dask",
    "distributed",
    "matplotlib",
    "plotly",
    "sklearn",
    "fastapi",
    "starlette",
    "uvicorn",
    "flask",
    "aiohttp",
    "tornado",
    "IPython",
    "multiprocessing",
)


def imported_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_import_datamill_loads_no_heavy_module() -> None:
    loaded = imported_after("import datamill")
    assert "datamill" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_the_process_executor_is_loaded_on_demand() -> None:
    loaded = imported_after("from datamill.runner import ProcessExecutor")
    assert "multiprocessing" in loaded


def test_import_datamill_defers_io_and_plugin_discovery() -> None:
    code = "import sys, json, datamill; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    deferred = {"fsspec", "yaml", "importlib.metadata", "sqlalchemy"}
    assert sorted(loaded & deferred) == []
