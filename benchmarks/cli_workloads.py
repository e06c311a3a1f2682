"""Command-line workloads, framework-neutral, and the driver both CLI scripts share.

Three commands per framework, each timed as the wall time of a child process, from
``subprocess.run`` to its exit:

- ``interpreter``: ``<python> -c pass`` with the framework's virtualenv Python, the floor
  under any command-line tool written in Python;
- ``help``: ``<cli> --help`` in an empty folder (outside any project);
- ``run``: ``<cli> run`` at the root of a project freshly created by the framework's own
  ``new`` command, whose default pipeline is one trivial node,
  ``increment(params:trivial.x) -> answer`` (the output stays in memory; no data files).

Each command first runs :data:`WARMUPS` times untimed, so the bytecode caches of the
framework and of the project exist (children run without ``PYTHONDONTWRITEBYTECODE``,
which would otherwise stop them from being written), then ``case.repeats`` timed runs
follow. Every run must exit with 0 and print the adapter's expected text; the files a
``run`` leaves in the project (bytecode caches aside) are listed in the result.

This module imports neither framework; ``bench_cli_datamill.py`` and ``bench_cli_kedro.py``
implement :class:`CliAdapter` (where the console script is, how to create the project) and
call :func:`main`, which runs each case in its own subprocess through ``_harness.drive``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from _harness import Case, Result
from _harness import main as harness_main

__all__ = [
    "PACKAGE",
    "PHASES",
    "PIPELINE",
    "QUICK_RUNS",
    "RUNS",
    "WARMUPS",
    "CliAdapter",
    "Command",
    "CommandError",
    "child_environment",
    "main",
    "measure",
    "plan",
    "run_checked",
    "write_trivial_pipeline",
]

RUNS = 15
QUICK_RUNS = 5
WARMUPS = 2
COMMAND_TIMEOUT_S = 60.0
PHASES = ("interpreter", "help", "run")
PACKAGE = "bench"
"""The name of both projects and of their Python package."""
PIPELINE = "trivial"
NODE_NAME = "increment"

NODES_PY = '''"""Nodes of the ``trivial`` pipeline."""


def increment(x: int) -> int:
    """Return ``x + 1``."""
    return x + 1
'''

PIPELINE_PY = '''"""The ``trivial`` pipeline: one node, ``params:trivial.x`` in, ``answer`` out."""

from typing import Any

from {framework} import Pipeline, node

from .nodes import increment


def create_pipeline(**kwargs: Any) -> Pipeline:
    """Return the ``trivial`` pipeline."""
    return Pipeline([node(increment, "params:trivial.x", "answer", name="increment")])
'''

INIT_PY = '''"""The ``trivial`` pipeline."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
'''

PARAMETERS_YML = "# Parameters of the trivial pipeline.\ntrivial:\n  x: 41\n"


class CommandError(RuntimeError):
    """A benchmarked or preparatory command failed or printed something unexpected."""


@dataclass(frozen=True, slots=True)
class Command:
    """A command to time.

    Attributes:
        argv: The program and its arguments.
        cwd: Where it runs.
        expect: A regular expression its combined output must match (``""``: anything).
    """

    argv: tuple[str, ...]
    cwd: Path
    expect: str = ""


class CliAdapter(Protocol):
    """What the command-line benchmark needs from a framework."""

    name: str
    version: str
    cli: Path
    """The framework's console script."""
    run_expect: str
    """A regular expression the output of a successful one-node ``run`` matches."""

    def environment(self) -> dict[str, str]:
        """Variables to set for every child process (on top of the inherited ones)."""

    def create_project(self, parent: Path, env: Mapping[str, str]) -> Path:
        """Create the one-node project in ``parent``; return its root."""


# -- running commands ----------------------------------------------------------------------


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without ``PYTHONDONTWRITEBYTECODE``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def run_checked(argv: Sequence[str], cwd: Path, env: Mapping[str, str], expect: str = "") -> str:
    """Run ``argv``; return its combined output.

    Raises:
        CommandError: It failed, timed out, or its output does not match ``expect``.
    """
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{' '.join(argv)}: no exit within {exc.timeout:g} s") from exc
    if proc.returncode != 0 or (expect and not re.search(expect, proc.stdout)):
        tail = " | ".join(proc.stdout.strip().splitlines()[-4:])
        wanted = f", expected output matching {expect!r}" if expect else ""
        raise CommandError(f"{' '.join(argv)}: exit {proc.returncode}{wanted}: {tail}")
    return proc.stdout


def time_command(command: Command, env: Mapping[str, str], runs: int) -> list[float]:
    """:data:`WARMUPS` untimed runs, then the wall time of each of ``runs`` runs."""
    for _ in range(WARMUPS):
        run_checked(command.argv, command.cwd, env, command.expect)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run_checked(command.argv, command.cwd, env, command.expect)
        times.append(time.perf_counter() - start)
    return times


def files_under(root: Path) -> set[str]:
    """Every file under ``root`` as a relative POSIX path, bytecode caches left out."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


# -- projects ------------------------------------------------------------------------------


def write_trivial_pipeline(project: Path, framework: str) -> None:
    """Write the ``trivial`` pipeline and its parameters into a project.

    The same files for both frameworks, but for ``framework``, the module ``Pipeline`` and
    ``node`` come from (``datamill`` or ``kedro.pipeline``).
    """
    folder = project / "src" / PACKAGE / "pipelines" / PIPELINE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text(INIT_PY, encoding="utf-8")
    (folder / "nodes.py").write_text(NODES_PY, encoding="utf-8")
    (folder / "pipeline.py").write_text(PIPELINE_PY.format(framework=framework), encoding="utf-8")
    parameters = project / "conf" / "base" / f"parameters_{PIPELINE}.yml"
    parameters.write_text(PARAMETERS_YML, encoding="utf-8")


# -- measuring (in the case's own process) ---------------------------------------------------


def measure(adapter: CliAdapter, case: Case) -> Result:
    """Time one command ``case.repeats`` times after the warm-up runs."""
    result = Result(adapter.name, adapter.version, case, gc="n/a: wall time of child processes")
    env = child_environment(adapter.environment())
    with tempfile.TemporaryDirectory(prefix=f"bench-cli-{adapter.name}-") as folder:
        try:
            command = _command(adapter, case.phase, Path(folder).resolve(), env)
            before = files_under(command.cwd)
            result.times_s = time_command(command, env, case.repeats)
        except CommandError as exc:
            result.status, result.detail = "error", str(exc)
            return result
        written = sorted(files_under(command.cwd) - before)
    if case.phase == "run":
        # The log file and the run journal (.datamill/) are all a run may write.
        outside = [name for name in written if not name.startswith(("logs/", ".datamill/"))]
        result.sizes = {"files_written": len(written), "files_written_outside_logs": len(outside)}
        result.detail = f"the runs wrote: {', '.join(written) if written else 'nothing'}"
    return result


def _command(adapter: CliAdapter, phase: str, folder: Path, env: Mapping[str, str]) -> Command:
    if phase == "interpreter":
        return Command((sys.executable, "-c", "pass"), folder)
    if phase == "help":
        return Command((str(adapter.cli), "--help"), folder, expect="Usage")
    if phase == "run":
        project = adapter.create_project(folder, env)
        return Command((str(adapter.cli), "run"), project, expect=adapter.run_expect)
    raise ValueError(f"Unknown CLI phase {phase!r}.")


# -- plan and command line -------------------------------------------------------------------


def plan(quick: bool) -> list[Case]:
    """The three commands, :data:`RUNS` timed runs each (``--quick``: :data:`QUICK_RUNS`)."""
    runs = QUICK_RUNS if quick else RUNS
    return [Case("cli", 1, phase, repeats=runs) for phase in PHASES]


def main(
    adapter_factory: Callable[[], CliAdapter],
    framework: tuple[str, str],
    argv: Sequence[str] | None = None,
) -> int:
    """Entry point of a CLI benchmark script: measure one ``--case``, or drive the plan.

    Args:
        adapter_factory: Builds the framework adapter (finds the console script).
        framework: The framework's name and version, for results of failed cases.
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    return harness_main(
        adapter_factory,
        plan,
        framework,
        argv,
        measure_case=measure,
        description="Time one framework's command-line start-up and run; print JSON lines.",
    )
