"""Benchmark Kedro's command line: start-up and a one-node run; prints JSON lines.

Usage (with the Python of the virtualenv ``run.py`` creates in ``.bench-venvs/``)::

    .bench-venvs/kedro-1.7.0/bin/python benchmarks/bench_cli_kedro.py [--quick]

Times ``python -c pass``, ``kedro --help`` and ``kedro run`` (the console script next to
this interpreter) as child processes (see ``cli_workloads``). The project is made by
``kedro new --name bench --tools none --example n --telemetry no``, from the template
bundled with Kedro (no network); the ``trivial`` pipeline is written into
``src/bench/pipelines/``, where the template's ``find_pipelines()`` finds it. The project
is not installed: ``kedro run`` puts its ``src`` folder on ``sys.path`` itself.

Every child runs with ``DO_NOT_TRACK=1`` and ``KEDRO_DISABLE_TELEMETRY=1``: Kedro's
dependency ``kedro-telemetry`` would otherwise send usage data over the network. Kedro's
logging keeps its defaults (INFO, through ``rich``), as datamill's does.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path

from cli_workloads import PACKAGE, CliAdapter, main, run_checked, write_trivial_pipeline

NO_TELEMETRY = {"DO_NOT_TRACK": "1", "KEDRO_DISABLE_TELEMETRY": "1"}


class KedroCliAdapter:
    """Finds the ``kedro`` console script and creates projects with it."""

    name = "kedro"
    version = version("kedro")
    cli = Path(sys.executable).parent / "kedro"
    run_expect = r"Completed 1 out of 1 tasks"

    def environment(self) -> dict[str, str]:
        """Telemetry off (no network calls, no consent file)."""
        return dict(NO_TELEMETRY)

    def create_project(self, parent: Path, env: Mapping[str, str]) -> Path:
        """``kedro new`` without tools or example, then the ``trivial`` pipeline."""
        options = ["--tools", "none", "--example", "n", "--telemetry", "no"]
        run_checked([str(self.cli), "new", "--name", PACKAGE, *options], parent, env)
        project = parent / PACKAGE
        write_trivial_pipeline(project, "kedro.pipeline")
        return project


def _adapter() -> CliAdapter:
    return KedroCliAdapter()


if __name__ == "__main__":
    sys.exit(main(_adapter, ("kedro", version("kedro"))))
