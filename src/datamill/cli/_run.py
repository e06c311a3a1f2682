"""``datamill run``: run a project's pipeline, or a slice of it, from the command line.

The command finds the project from the current folder, opens a `Session` with the chosen
environment and runtime parameters, registers a hooks object that reports each node as it
finishes (`datamill.cli._progress`), and runs. On a terminal the report is a live display;
elsewhere, or with ``--no-progress``, it is plain lines. Either way every report is also
appended as a plain line, with a timestamp, to ``<project>/logs/datamill.log``. When a node
fails, or the run is interrupted (Ctrl-C; SIGTERM or SIGHUP, which stop a run the same way),
the message ends with how to finish the run: ``datamill run --resume``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import click

from datamill._text import quoted
from datamill.cli._logging import RUN_LOGGER, run_logging
from datamill.cli._main import silence
from datamill.cli._options import RunOptions, collect_run_options, run_options, split_names
from datamill.cli._progress import Echo, ProgressHooks, Screen, open_screen
from datamill.errors import JournalError

if TYPE_CHECKING:
    from datamill.journal import RunDetail
    from datamill.project import Session

__all__ = ["run", "run_project"]

LOG_FILE: Final = Path("logs") / "datamill.log"
_REASONS_SHOWN: Final = 20
_RESUME_OPTIONS: Final = frozenset({"executor", "workers"})  # what --resume lets one change
_SIGNALLED_EXIT: Final = 128  # plus the signal's number: the shells' code for a command
_INTERRUPTED_EXIT: Final = _SIGNALLED_EXIT + signal.SIGINT  # that a signal ended (130, ...)


@click.command()
@run_options
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress display, or plain lines (default: live on a terminal).",
)
@click.option(
    "--force",
    is_flag=False,
    flag_value="*",
    default=None,
    metavar="[NODES]",
    help="Run these nodes (comma-separated; all when none given) even if unchanged.",
)
@click.option(
    "--incremental/--no-incremental",
    default=None,
    help="Skip unchanged nodes (default: the INCREMENTAL setting, on).",
)
@click.option(
    "--early-cutoff/--no-early-cutoff",
    default=None,
    help="Skip a node whose recomputed inputs come out unchanged (default: the EARLY_CUTOFF "
    "setting, off).",
)
@click.option("--explain", is_flag=True, help="Say which nodes would run and why; run nothing.")
@click.option(
    "--resume",
    is_flag=False,
    flag_value="latest",
    default=None,
    metavar="[RUN]",
    help="Finish a failed, interrupted or crashed run (the latest, or RUN) with its options.",
)
def run(  # click passes every option by name
    *,
    progress: bool | None,
    force: str | None,
    incremental: bool | None,
    early_cutoff: bool | None,
    explain: bool,
    resume: str | None,
    **values: Any,
) -> None:
    """Run a pipeline of the project in the current folder.

    Name options take comma-separated lists and may be repeated. Examples:

    \b
      datamill run --pipeline training --tags fast,daily
      datamill run --to-outputs report --params model.alpha=0.1,layers=[64,32]
      datamill run --config run.yml --env prod
      datamill run --explain
      datamill run --resume

    Everything 'datamill check' checks is checked before the first node runs. Nodes whose
    code, parameters and inputs are unchanged since their last successful run, and whose
    outputs are intact, are skipped; --force reruns them. With --early-cutoff, a node that
    would run only because a node upstream reran is skipped too when what it reads comes
    out unchanged. On a terminal the run shows a live display of its progress;
    elsewhere, or with --no-progress, one line per node.
    """
    options = collect_run_options(values)
    modes = RunModes(
        force=_forced(force),
        incremental=incremental,
        explain=explain,
        resume=resume,
        early_cutoff=early_cutoff,
    )
    if resume is not None:
        options, resumed = _resumed_options(resume, options, incremental, early_cutoff)
        modes = replace(modes, resume=resumed)
    try:
        verbose = bool(click.get_current_context().find_root().params.get("verbose"))
        with _stop_signals_interrupt():
            run_project(options, progress=progress, modes=modes, verbose=verbose)
    except KeyboardInterrupt as exc:
        terminated = exc if isinstance(exc, Terminated) else exc.__cause__
        said = "Terminated." if isinstance(terminated, Terminated) else "Interrupted."
        with contextlib.suppress(OSError):  # a closed terminal (SIGHUP) takes no more text
            click.echo(f"\n{exc}" if isinstance(exc, RunInterrupted) else f"\n{said}", err=True)
        if isinstance(terminated, Terminated):
            raise click.exceptions.Exit(_SIGNALLED_EXIT + terminated.signal_number) from None
        raise click.exceptions.Exit(_INTERRUPTED_EXIT) from None


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM; its message says how far it got and how to finish
    it."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM or SIGHUP during a run,
    which then stops as after Ctrl-C (a `KeyboardInterrupt`, so that every layer treats it
    so).

    Attributes:
        signal_number: The signal received; the command exits with 128 plus it, as a shell
            reports a process that the signal ended.
    """

    def __init__(self, signal_number: int) -> None:
        self.signal_number = signal_number
        super().__init__(f"the process received {signal.Signals(signal_number).name}")


_STOP_SIGNALS: Final = tuple(
    number
    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None))  # Windows: no SIGHUP
    if number is not None
)


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM (what ``kill``, schedulers and container runtimes send
    first) and SIGHUP (the terminal was closed) stop the run as Ctrl-C does: the nodes
    running are interrupted and recorded, the journal says the run was interrupted, and
    ``--resume`` finishes it. After the first, a SIGTERM ends the process at once, as
    SIGTERM does by default, and a SIGHUP changes nothing. A signal that the process was
    started ignoring (``nohup``) stays ignored."""
    if threading.current_thread() is not threading.main_thread():  # only it gets signals
        yield
        return

    terminals = [fd for fd in (1, 2) if os.isatty(fd)]  # standard output and error

    def stop(signal_number: int, _frame: object) -> None:
        for number in _STOP_SIGNALS:  # the stop is under way: no second one inside it
            signal.signal(number, signal.SIG_DFL if number == signal.SIGTERM else signal.SIG_IGN)
        if signal_number != signal.SIGTERM:  # hung up: writing to the terminal would fail
            for fd in terminals:
                silence(fd)
        raise Terminated(signal_number)

    previous = {
        number: signal.signal(number, stop)
        for number in _STOP_SIGNALS
        if signal.getsignal(number) != signal.SIG_IGN
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass(frozen=True, slots=True)
class RunModes:
    """How ``datamill run`` treats unchanged nodes.

    Attributes:
        force: Run every node (True) or these nodes even if unchanged.
        incremental: Skip unchanged nodes (None: the project's setting).
        explain: Report the decisions without running.
        resume: The id of the run being finished, if any.
        early_cutoff: Skip nodes whose recomputed inputs come out unchanged (None: the
            resumed run's choice, else the project's setting).
    """

    force: bool | tuple[str, ...] = False
    incremental: bool | None = None
    explain: bool = False
    resume: str | None = None
    early_cutoff: bool | None = None


def _forced(value: str | None) -> bool | tuple[str, ...]:
    if value is None:
        return False
    if value == "*":
        return True
    return split_names([value]) or True


def _resumed_options(
    run_ref: str, given: RunOptions, incremental: bool | None, early_cutoff: bool | None
) -> tuple[RunOptions, str]:
    """The options and id of the run ``run_ref`` names; executor and workers may be new.

    Raises:
        click.UsageError: Other run options were given: they would be ignored.
        JournalError: No such run, or nothing to resume.
    """
    _refuse_other_options(given, incremental, early_cutoff)
    detail = _run_to_resume(run_ref)
    started = detail.started.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    click.echo(f"Resuming run {detail.run_id} ({detail.status}, started {started}).")
    recorded = detail.options
    conf_source = recorded.get("conf_source")
    options = RunOptions(
        pipeline=recorded.get("pipeline"),
        nodes=_names(recorded.get("nodes")),
        from_nodes=_names(recorded.get("from_nodes")),
        to_nodes=_names(recorded.get("to_nodes")),
        from_inputs=_names(recorded.get("from_inputs")),
        to_outputs=_names(recorded.get("to_outputs")),
        tags=_names(recorded.get("tags")),
        namespaces=_names(recorded.get("namespaces")),
        executor=given.executor or recorded.get("executor"),
        workers=given.workers or recorded.get("workers"),
        env=recorded.get("env"),
        params=dict(recorded.get("params") or {}),
        load_versions=dict(recorded.get("load_versions") or {}),
        conf_source=None if conf_source is None else Path(conf_source),
    )
    return options, detail.run_id


def _run_to_resume(run_ref: str) -> RunDetail:
    from datamill.cli._runs import project_journal
    from datamill.journal import Journal
    from datamill.project import resumable_run

    path, staleness = project_journal()
    if not path.exists():  # opening it would create it
        raise JournalError(
            f"Nothing to resume: there is no journal at {path} yet (no run was recorded). "
            "Run the pipeline first.",
            path=str(path),
            run_id=run_ref,
        )
    with Journal(path, stale_after=staleness) as journal:
        return resumable_run(journal, run_ref)


def _refuse_other_options(
    given: RunOptions, incremental: bool | None, early_cutoff: bool | None
) -> None:
    """A resumed run takes the run's own options: say so rather than ignore others."""
    default = RunOptions()
    others = [
        f"--{f.name.replace('_', '-')}"
        for f in fields(RunOptions)
        if f.name not in _RESUME_OPTIONS and getattr(given, f.name) != getattr(default, f.name)
    ]
    if incremental is False:
        others.append("--no-incremental")
    if early_cutoff is not None:
        others.append("--early-cutoff" if early_cutoff else "--no-early-cutoff")
    if others:
        raise click.UsageError(
            f"--resume finishes a run with the options it was started with, so "
            f"{', '.join(others)} cannot be given with it (only --executor and --workers can). "
            "To run with other options, leave out --resume."
        )


def _names(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def run_project(
    options: RunOptions,
    start: Path | str = ".",
    *,
    progress: bool | None = None,
    modes: RunModes | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Run the project containing ``start`` as ``options`` say, reporting progress.

    Args:
        options: What to run, and how.
        start: A folder inside the project.
        progress: True for the live display, False for plain lines, None for the live
            display only when standard output is a terminal.
        modes: How unchanged nodes are treated.
        verbose: The project's and datamill's loggers log from DEBUG (see `run_logging`).

    Returns:
        The free outputs of the run.

    Raises:
        DatamillError: Anything the project, configuration, pipeline or run reports.
        RunInterrupted: Ctrl-C stopped the run; the message says how far it got.
    """
    from datamill.project import find_project, load_settings

    metadata = find_project(start)
    settings = load_settings(metadata)
    conf = metadata.root / (options.conf_source or settings.conf_source or metadata.conf_source)
    logs = run_logging(metadata.root / LOG_FILE, metadata.package_name, conf, verbose=verbose)
    with logs as log:
        try:
            return _run_session(metadata.root, options, log, progress, modes or RunModes())
        except Exception as exc:
            logging.getLogger(RUN_LOGGER).error("Run failed: %s: %s", type(exc).__name__, exc)
            raise


def _run_session(
    root: Path, options: RunOptions, log: Echo, progress: bool | None, modes: RunModes
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
    with session:
        if modes.explain:
            _session_run(session, options, modes)
            _explain(session, log)
            return {}
        with _screen(progress) as screen:
            hooks = ProgressHooks(log, screen, options.pipeline or DEFAULT_PIPELINE, session.env)
            session.hook_manager.register(hooks)
            try:
                outputs = _session_run(session, options, modes)
            except KeyboardInterrupt as exc:
                message = hooks.interruption(isinstance(exc, Terminated))
                log(message)
                raise RunInterrupted(message) from exc
            hooks.summary(outputs)
        _reasons(session, log)
        return outputs


def _session_run(session: Session, options: RunOptions, modes: RunModes) -> dict[str, Any]:
    from datamill.project import DEFAULT_PIPELINE

    return session.run(
        options.pipeline or DEFAULT_PIPELINE,
        **options.session_arguments(),
        force=modes.force,
        incremental=True if modes.resume is not None else modes.incremental,
        explain=modes.explain,
        command=["datamill", *sys.argv[1:]],
        resumes=modes.resume,
        early_cutoff=modes.early_cutoff,
    )


def _explain(session: Session, log: Echo) -> None:
    """Print every node's decision, in run order."""
    plan = session.last_plan
    if not plan:
        return
    width = max(len(name) for name in plan)
    running = sum(d.runs for d in plan.values())
    _say(log, f"{running} of {len(plan)} node(s) would run:")
    for name, decision in plan.items():
        verdict = "run " if decision.runs else "skip"
        reason = decision.reason
        if decision.awaits:
            verb = "comes" if len(decision.awaits) == 1 else "come"
            reason += f" (skipped if {quoted(decision.awaits)} {verb} out unchanged)"
        elif decision.feeds:
            reason += " (skipped if the nodes that need it are cut off)"
        _say(log, f"  {verdict}  {name:<{width}}  {reason}")


def _reasons(session: Session, log: Echo) -> None:
    """After a run: why each node ran, and the skipped nodes grouped by reason.

    When many nodes ran, the nodes that ran because of their own changes are listed, and
    those that ran because of them only counted.
    """
    plan = session.last_plan
    skipped: dict[str, list[str]] = {}
    ran = [(name, d) for name, d in plan.items() if d.runs]
    for name, decision in plan.items():
        if not decision.runs:
            skipped.setdefault(decision.reason, []).append(name)
    if ran:
        _say(log, "Why they ran:")
        causes = ran if len(ran) <= _REASONS_SHOWN else [(n, d) for n, d in ran if not d.upstream]
        for name, decision in causes[:_REASONS_SHOWN]:
            _say(log, f"  {name}: {decision.reason}")
        if len(causes) > _REASONS_SHOWN:
            _say(log, f"  ... and {len(causes) - _REASONS_SHOWN} more")
        if len(causes) < len(ran):
            _say(
                log,
                f"  and {len(ran) - len(causes)} node(s) that ran because of these: an input "
                "recomputed, or an in-memory output needed ('datamill runs show' says which)",
            )
    for reason, names in skipped.items():
        shown = ", ".join(names[:_REASONS_SHOWN])
        more = f" and {len(names) - _REASONS_SHOWN} more" if len(names) > _REASONS_SHOWN else ""
        _say(log, f"Skipped {len(names)} node(s), {reason}: {shown}{more}")


def _say(log: Echo, line: str) -> None:
    click.echo(line)
    log(line)


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
