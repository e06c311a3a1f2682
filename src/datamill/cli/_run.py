"""``datamill run``: run a project's pipeline, or a slice of it, from the command line.

The command finds the project from the current folder, opens a `Session` with the chosen
environment and runtime parameters, registers a hooks object that reports each node as it
finishes (`datamill.cli._progress`), and runs. On a terminal the report is a live display;
elsewhere, or with ``--no-progress``, it is plain lines. Either way every report is also
appended as a plain line, with a timestamp, to ``<project>/logs/datamill.log``. When a node
fails, the error ends with the command that finishes the run.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from datamill.cli._options import RunOptions, collect_run_options, run_options
from datamill.cli._progress import Echo, ProgressHooks, Screen, open_screen
from datamill.errors import RunnerError

if TYPE_CHECKING:
    from datamill.project import Session

__all__ = ["run", "run_project"]

LOG_FILE: Final = Path("logs") / "datamill.log"
_LOGGER: Final = "datamill.run"


@click.command()
@run_options
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress display, or plain lines (default: live on a terminal).",
)
def run(progress: bool | None, **values: Any) -> None:
    """Run a pipeline of the project in the current folder.

    Name options take comma-separated lists and may be repeated. Examples:

    \b
      datamill run --pipeline training --tags fast,daily
      datamill run --to-outputs report --params model.alpha=0.1,layers=[64,32]
      datamill run --config run.yml --env prod

    Everything 'datamill check' checks is checked before the first node runs. On a terminal
    the run shows a live display of its progress; elsewhere, or with --no-progress, one line
    per node. --progress draws the live display anyway.
    """
    run_project(collect_run_options(values), progress=progress)


def run_project(
    options: RunOptions, start: Path | str = ".", *, progress: bool | None = None
) -> dict[str, Any]:
    """Run the project containing ``start`` as ``options`` say, reporting progress.

    Args:
        options: What to run, and how.
        start: A folder inside the project.
        progress: True for the live display, False for plain lines, None for the live
            display only when standard output is a terminal.

    Returns:
        The free outputs of the run.

    Raises:
        DatamillError: Anything the project, configuration, pipeline or run reports.
    """
    from datamill.project import find_project

    metadata = find_project(start)
    with _run_log(metadata.root / LOG_FILE) as log:
        try:
            return _run_session(metadata.root, options, log, progress)
        except Exception as exc:
            logging.getLogger(_LOGGER).error("Run failed: %s: %s", type(exc).__name__, exc)
            raise


def _run_session(
    root: Path, options: RunOptions, log: Echo, progress: bool | None
) -> dict[str, Any]:
    from datamill.project import DEFAULT_PIPELINE, Session

    session = Session.create(
        root,
        env=options.env,
        runtime_params=options.params or None,
        conf_source=options.conf_source,
    )
    for warning in session.config_loader.unused_runtime_params():
        click.echo(f"Warning: {warning}", err=True)
        log(f"Warning: {warning}")
    with session, _screen(progress) as screen:
        hooks = ProgressHooks(log, screen, options.pipeline or DEFAULT_PIPELINE, session.env)
        session.hook_manager.register(hooks)
        try:
            outputs = _session_run(session, options)
        except RunnerError as exc:
            raise _with_resume_command(exc, options) from exc
        hooks.summary(outputs)
        return outputs


@contextmanager
def _screen(progress: bool | None) -> Iterator[Screen]:
    """Yield the screen ``progress`` asks for; take it down however the run ends.

    Ctrl+C included, and before the command's error handler prints anything.
    """
    screen = open_screen(progress)
    try:
        yield screen
    finally:
        screen.stop()


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


# -- the log file and the resume command -----------------------------------------------------------


@contextmanager
def _run_log(path: Path) -> Iterator[Echo]:
    """Yield a function that appends a line to the log file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("datamill")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    run_logger = logging.getLogger(_LOGGER)

    def log(line: str) -> None:
        run_logger.info(line.strip())

    try:
        yield log
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
