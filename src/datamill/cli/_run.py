"""``datamill run``: run a project's pipeline, or a slice of it, from the command line.

The command finds the project from the current folder, opens a `Session` with the chosen
environment and runtime parameters, registers a small hooks object that reports each node
as it finishes, and runs. Every line it prints is also appended, with a timestamp, to
``<project>/logs/datamill.log``. When a node fails, the error ends with the command that
finishes the run.
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from datamill.cli._options import (
    RunOptions,
    conf_source_option,
    env_option,
    merge_options,
    parse_load_versions,
    parse_params,
    read_run_config,
    split_names,
)
from datamill.errors import RunnerError
from datamill.hooks import RunParams, hook_impl

if TYPE_CHECKING:
    from datamill.pipeline import Node
    from datamill.project import Session

__all__ = ["ProgressHooks", "run"]

LOG_FILE: Final = Path("logs") / "datamill.log"
_LOGGER: Final = "datamill.run"
_SUMMARY_ROWS: Final = 10

Echo = Callable[[str], None]


@click.command()
@click.option("-p", "--pipeline", default=None, help="Pipeline to run (default: __default__).")
@click.option("-n", "--nodes", multiple=True, help="Run only these nodes (comma-separated).")
@click.option("--from-nodes", multiple=True, help="Run these nodes and everything downstream.")
@click.option("--to-nodes", multiple=True, help="Run these nodes and everything upstream.")
@click.option("--from-inputs", multiple=True, help="Run the nodes that depend on these datasets.")
@click.option("--to-outputs", multiple=True, help="Run the nodes needed for these datasets.")
@click.option("-t", "--tags", multiple=True, help="Run the nodes with any of these tags.")
@click.option("--namespaces", multiple=True, help="Run the nodes in any of these namespaces.")
@click.option("--executor", default=None, help="sequential, thread or process (default: settings).")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=None, help="Parallelism.")
@env_option
@click.option("--params", multiple=True, help="Parameter overrides: key=value,... (YAML values).")
@click.option("--load-versions", multiple=True, help="Versions to load: dataset=version,...")
@click.option(
    "-c",
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of run options; command-line options win.",
)
@conf_source_option
def run(
    *,
    pipeline: str | None,
    nodes: tuple[str, ...],
    from_nodes: tuple[str, ...],
    to_nodes: tuple[str, ...],
    from_inputs: tuple[str, ...],
    to_outputs: tuple[str, ...],
    tags: tuple[str, ...],
    namespaces: tuple[str, ...],
    executor: str | None,
    workers: int | None,
    env: str | None,
    params: tuple[str, ...],
    load_versions: tuple[str, ...],
    config_file: Path | None,
    conf_source: Path | None,
) -> None:
    """Run a pipeline of the project in the current folder.

    Name options take comma-separated lists and may be repeated. Examples:

    \b
      datamill run --pipeline training --tags fast,daily
      datamill run --to-outputs report --params model.alpha=0.1,layers=[64,32]
      datamill run --config run.yml --env prod
    """
    given = RunOptions(
        pipeline=pipeline,
        nodes=split_names(nodes),
        from_nodes=split_names(from_nodes),
        to_nodes=split_names(to_nodes),
        from_inputs=split_names(from_inputs),
        to_outputs=split_names(to_outputs),
        tags=split_names(tags),
        namespaces=split_names(namespaces),
        executor=executor,
        workers=workers,
        env=env,
        params=parse_params(params),
        load_versions=parse_load_versions(load_versions),
        conf_source=conf_source.resolve() if conf_source is not None else None,
    )
    options = given if config_file is None else merge_options(read_run_config(config_file), given)
    run_project(options)


def run_project(options: RunOptions, start: Path | str = ".") -> dict[str, Any]:
    """Run the project containing ``start`` as ``options`` say, reporting progress.

    Returns:
        The free outputs of the run.

    Raises:
        DatamillError: Anything the project, configuration, pipeline or run reports.
    """
    from datamill.project import find_project

    metadata = find_project(start)
    with _run_log(metadata.root / LOG_FILE) as echo:
        try:
            return _run_session(metadata.root, options, echo)
        except Exception as exc:
            logging.getLogger(_LOGGER).error("Run failed: %s: %s", type(exc).__name__, exc)
            raise


def _run_session(root: Path, options: RunOptions, echo: Echo) -> dict[str, Any]:
    from datamill.project import DEFAULT_PIPELINE, Session

    session = Session.create(
        root,
        env=options.env,
        runtime_params=options.params or None,
        conf_source=options.conf_source,
    )
    with session:
        progress = ProgressHooks(echo, options.pipeline or DEFAULT_PIPELINE, session.env)
        session.hook_manager.register(progress)
        try:
            outputs = _session_run(session, options)
        except RunnerError as exc:
            raise _with_resume_command(exc, options) from exc
        progress.summary(outputs)
        return outputs


def _session_run(session: Session, options: RunOptions) -> dict[str, Any]:
    from datamill.project import DEFAULT_PIPELINE

    return session.run(
        options.pipeline or DEFAULT_PIPELINE,
        node_names=options.nodes,
        from_nodes=options.from_nodes,
        to_nodes=options.to_nodes,
        from_inputs=options.from_inputs,
        to_outputs=options.to_outputs,
        tags=options.tags,
        namespaces=options.namespaces,
        executor=options.executor,
        workers=options.workers,
        load_versions=options.load_versions or None,
    )


# -- progress ---------------------------------------------------------------------------------


@dataclass
class ProgressHooks:
    """Hooks that print one line per finished node and a summary at the end.

    Node times are the time spent in the node's function (loading and saving excluded).
    Safe to call from the thread executor's worker threads.
    """

    echo: Echo
    pipeline_name: str
    env: str | None
    node_count: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)
    _run_start: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @hook_impl
    def before_pipeline_run(self, run_params: RunParams) -> None:
        """Print what is about to run."""
        self.node_count = run_params["node_count"]
        self._run_start = time.perf_counter()
        executor = f"{run_params['executor']} executor, {run_params['workers']} worker(s)"
        self.echo(
            f"Running pipeline {self.pipeline_name!r}: {self.node_count} node(s), env "
            f"{self.env or 'base'}, {executor}, run {run_params['run_id']}"
        )

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        """Note when the node's function starts."""
        with self._lock:
            self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        """Print the finished node and its time."""
        with self._lock:
            elapsed = time.perf_counter() - self._started.pop(node.name, time.perf_counter())
            self.durations[node.name] = elapsed
            done = len(self.durations)
            self.echo(f"  [{done}/{self.node_count}] {node.name}  {elapsed:.3f}s")

    @hook_impl
    def on_node_error(self, error: BaseException, node: Node) -> None:
        """Print the failed node."""
        with self._lock:
            self._started.pop(node.name, None)
            self.echo(f"  FAILED {node.name}: {type(error).__name__}: {error}")

    def summary(self, outputs: dict[str, Any]) -> None:
        """Print the slowest nodes, the totals and the free outputs' names."""
        total = time.perf_counter() - self._run_start
        slowest = sorted(self.durations.items(), key=lambda item: -item[1])[:_SUMMARY_ROWS]
        if slowest:
            width = max(len(name) for name, _ in slowest)
            heading = "Slowest nodes" if len(self.durations) > len(slowest) else "Nodes"
            self.echo(f"{heading}:")
            for name, seconds in slowest:
                self.echo(f"  {name:<{width}}  {seconds:8.3f}s")
        self.echo(f"Ran {len(self.durations)} node(s) in {total:.2f}s.")
        if outputs:
            self.echo(f"Free outputs (not saved): {', '.join(sorted(outputs))}")


# -- the log file and the resume command -----------------------------------------------------------


@contextmanager
def _run_log(path: Path) -> Iterator[Echo]:
    """Yield a function that prints a line and appends it to the log file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("datamill")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    run_logger = logging.getLogger(_LOGGER)

    def echo(line: str) -> None:
        click.echo(line)
        run_logger.info(line.strip())

    try:
        yield echo
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


def _with_resume_command(error: RunnerError, options: RunOptions) -> RunnerError:
    if not error.nodes_to_rerun:
        return error
    command = resume_command(replace(options, nodes=error.nodes_to_rerun))
    return RunnerError(
        f"{error}\nTo finish the run from the command line: {command}",
        node_name=error.node_name,
        nodes_to_rerun=error.nodes_to_rerun,
        remote_traceback=error.remote_traceback,
    )


def resume_command(options: RunOptions) -> str:
    """The ``datamill run`` command line for ``options`` (its node list, not other slices).

    Example:
        >>> resume_command(RunOptions(pipeline="train", nodes=("fit", "score"), env="prod"))
        'datamill run --pipeline train --nodes fit,score --env prod'
    """
    words = ["datamill", "run"]
    singles = [
        ("--pipeline", options.pipeline),
        ("--nodes", ",".join(options.nodes or ()) or None),
        ("--executor", options.executor),
        ("--workers", None if options.workers is None else str(options.workers)),
        ("--env", options.env),
        ("--conf-source", None if options.conf_source is None else str(options.conf_source)),
    ]
    for flag, value in singles:
        if value is not None:
            words += [flag, value]
    for key, value in options.params.items():
        words += ["--params", f"{key}={json.dumps(value, default=str)}"]
    if options.load_versions:
        pairs = ",".join(f"{k}={v}" for k, v in options.load_versions.items())
        words += ["--load-versions", pairs]
    return shlex.join(words)
