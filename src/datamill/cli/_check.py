"""``datamill check``: find what would stop a run, without running anything.

It takes the options of ``datamill run`` and reports, together: unknown names in every
option (with "did you mean"), missing inputs, parameters that do not fit their annotation,
producer and consumer annotations that disagree, invalid catalog entries and what the
executor cannot do. ``datamill run`` makes the same checks before its first node.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from datamill.cli._options import RunOptions, collect_run_options, run_options
from datamill.errors import RunnerError

if TYPE_CHECKING:
    from datamill.project import CheckReport

__all__ = ["check", "check_project"]


@click.command()
@run_options
def check(**values: Any) -> None:
    """Check a pipeline of the project in the current folder without running it.

    Takes the options of 'datamill run'; exits with 1 if the run could not start.

    \b
      datamill check
      datamill check --pipeline training --tags fast --params model.alpha=0.1
    """
    started = time.perf_counter()
    options = collect_run_options(values)
    report = check_project(options)
    seconds = time.perf_counter() - started
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    where = (
        f"Pipeline {report.pipeline_name!r} ({report.node_count} node(s), env "
        f"{report.env or 'base'})"
    )
    if len(report.problems) == 1:
        raise RunnerError(f"{where} cannot run: {report.problems[0]}")
    if report.problems:
        listed = "\n".join(f"  - {p}" for p in report.problems)
        raise RunnerError(f"{where} cannot run; {len(report.problems)} problems:\n{listed}")
    click.echo(f"No problems found. {where}, checked in {seconds:.2f}s.")


def check_project(options: RunOptions, start: Path | str = ".") -> CheckReport:
    """Check the project containing ``start`` for a run with ``options``.

    Raises:
        DatamillError: The project or its configuration cannot be opened.
    """
    from datamill.project import DEFAULT_PIPELINE, Session

    session = Session.create(
        start,
        env=options.env,
        runtime_params=options.params or None,
        conf_source=options.conf_source,
    )
    with session:
        return session.check(options.pipeline or DEFAULT_PIPELINE, **options.session_arguments())
