"""Benchmark datamill's command line: start-up and a one-node run; prints JSON lines.

Usage::

    .venv/bin/python benchmarks/bench_cli_datamill.py [--quick] [--timeout SECONDS]

Times ``.venv/bin/python -c pass``, ``datamill --help`` and ``datamill run`` (the console
script next to this interpreter) as child processes (see ``cli_workloads``). The project is
made by ``datamill new bench --starter empty --no-input``; ``datamill pipeline create
trivial`` scaffolds the pipeline, which gets the one trivial node, and the starter's own
example pipeline is removed, so that the default pipeline is that one node, as in Kedro's
project. ``benchmarks/run.py`` compares the results with ``bench_cli_kedro.py``'s.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import datamill
from cli_workloads import (
    PACKAGE,
    PIPELINE,
    CliAdapter,
    main,
    run_checked,
    write_trivial_pipeline,
)


class DatamillCliAdapter:
    """Finds the ``datamill`` console script and creates projects with it."""

    name = "datamill"
    version = datamill.__version__
    cli = Path(sys.executable).parent / "datamill"
    run_expect = r"\b1 node"

    def environment(self) -> dict[str, str]:
        """Nothing to add: datamill has no telemetry and needs no settings."""
        return {}

    def create_project(self, parent: Path, env: Mapping[str, str]) -> Path:
        """``datamill new`` (``empty`` starter), then the ``trivial`` pipeline alone."""
        new = [str(self.cli), "new", PACKAGE, "--starter", "empty", "--no-input"]
        run_checked([*new, "--directory", str(parent)], parent, env)
        project = parent / PACKAGE
        run_checked([str(self.cli), "pipeline", "create", PIPELINE], project, env)
        _remove_other_pipelines(project)
        write_trivial_pipeline(project, "datamill")
        return project


def _remove_other_pipelines(project: Path) -> None:
    # The empty starter ships a one-node example pipeline: the default pipeline (the sum
    # of all pipelines) must hold the trivial node only.
    for folder in (project / "src" / PACKAGE / "pipelines").iterdir():
        if folder.is_dir() and folder.name not in (PIPELINE, "__pycache__"):
            shutil.rmtree(folder)
            shutil.rmtree(project / "tests" / "pipelines" / folder.name, ignore_errors=True)
            (project / "conf" / "base" / f"parameters_{folder.name}.yml").unlink(missing_ok=True)


def _adapter() -> CliAdapter:
    return DatamillCliAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("datamill", datamill.__version__)))
