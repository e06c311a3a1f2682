"""``datamill runs list|show|diff`` and ``datamill lineage``: the run journal, read back.

The commands open the journal of the project in the current folder
(``<root>/<JOURNAL_PATH>``, ``.datamill/journal.db`` by default) to read it, and never
create it: without a journal, ``runs list`` says that no run is recorded yet and the other
commands fail with a line saying so. Runs are named as the journal names them: an id, a
unique prefix or suffix of one, or ``latest``. Times are shown in local time; ``--json``
output keeps the journal's UTC times, in ISO 8601.

``lineage`` starts from the save of a dataset (the latest, or the one of a version) and
walks up: the node that saved it, that node's inputs, the saves those inputs were read
from, and so on, ``--depth`` levels up. An input read at a version or with a fingerprint
is matched to the save of that version or fingerprint; an input known by name only is
matched to its last save before the reading node ended, and the output says so.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, get_args

import click

from datamill._text import did_you_mean, quoted
from datamill.cli._journal_text import (
    count_leaves,
    dataset_label,
    duration_text,
    json_text,
    local_time,
    memory_text,
    node_counts,
    short_commit,
    short_fingerprint,
    table,
    value_text,
)
from datamill.errors import JournalError
from datamill.journal import (
    Change,
    DatasetRecord,
    Journal,
    NodeRecord,
    Producer,
    RunDetail,
    RunDiff,
    RunStatus,
    RunSummary,
)

__all__ = ["lineage", "project_journal", "runs"]

_STATUSES: Final[dict[str, RunStatus]] = {status: status for status in get_args(RunStatus)}
_NO_RUNS: Final = "No runs recorded yet in {path}. Run 'datamill run' first."


@click.group()
def runs() -> None:
    """Inspect the runs recorded in the journal of the project in the current folder."""


# -- runs list -------------------------------------------------------------------------------


@runs.command("list")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Show at most this many runs.",
)
@click.option(
    "-s",
    "--status",
    "statuses",
    multiple=True,
    help="Only runs with these statuses: running, succeeded, failed, interrupted, crashed.",
)
@click.option("-p", "--pipeline", default=None, help="Only runs of this pipeline.")
def list_runs(limit: int, statuses: tuple[str, ...], pipeline: str | None) -> None:
    """List the recorded runs, newest first."""
    chosen = parse_statuses(statuses)
    path, staleness = project_journal()
    if not path.exists():  # reading must not create the journal
        click.echo(_NO_RUNS.format(path=path))
        return
    with Journal(path, stale_after=staleness) as journal:
        found = journal.runs(limit=limit + 1, status=chosen, pipeline=pipeline)
        if not found:
            click.echo(_nothing_found(journal, chosen, pipeline))
            return
    for line in table(_LIST_HEADER, [_list_row(run) for run in found[:limit]], right={2}):
        click.echo(line)
    if len(found) > limit:
        click.echo(f"(More runs are recorded: use --limit to show more than {limit}.)")


_LIST_HEADER: Final = ("Run", "Started", "Duration", "Status", "Pipeline", "Env", "Git", "Nodes")


def _list_row(run: RunSummary) -> tuple[str, ...]:
    return (
        run.run_id,
        local_time(run.started),
        duration_text(run.duration),
        run.status,
        run.pipeline,
        run.env or "-",
        short_commit(run.git_commit, run.git_dirty),
        node_counts(run),
    )


def _nothing_found(
    journal: Journal, statuses: tuple[RunStatus, ...] | None, pipeline: str | None
) -> str:
    if (statuses is None and pipeline is None) or not journal.runs(limit=1):
        return _NO_RUNS.format(path=journal.path)
    given = [f"--status {','.join(statuses)}"] if statuses is not None else []
    given += [f"--pipeline {pipeline}"] if pipeline is not None else []
    return f"No recorded run matches {' '.join(given)}."


def parse_statuses(values: Sequence[str]) -> tuple[RunStatus, ...] | None:
    """The run statuses given to ``--status`` (repeated or comma-separated); ``None`` for all.

    Raises:
        JournalError: If a status is not a run status, naming the closest.
    """
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    for name in names:
        if name not in _STATUSES:
            raise JournalError(
                f"--status {name!r} is not a run status.{did_you_mean(name, _STATUSES)} "
                f"Choose from {', '.join(_STATUSES)}."
            )
    return tuple(_STATUSES[name] for name in dict.fromkeys(names)) or None


# -- runs show -------------------------------------------------------------------------------


@runs.command("show")
@click.argument("run", default="latest")
@click.option("--datasets", is_flag=True, help="List the datasets each node loaded and saved.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def show(run: str, datasets: bool, as_json: bool) -> None:
    """Show a run and its nodes (RUN: an id, a unique prefix or suffix of one, or latest)."""
    with open_journal() as journal:
        detail = journal.run(run)
    if as_json:
        click.echo(json_text(run_json(detail)))
        return
    for line in _run_lines(detail, with_datasets=datasets):
        click.echo(line)


def run_json(detail: RunDetail) -> dict[str, Any]:
    """A JSON-ready view of ``detail``: every recorded field, its duration, its nodes."""
    return {**asdict(detail), "duration": detail.duration}


def _run_lines(detail: RunDetail, *, with_datasets: bool) -> list[str]:
    lines = [f"Run {detail.run_id}"]
    rows = _header_rows(detail)
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        first, *rest = value.splitlines() or [""]
        lines.append(f"  {label + ':':<{width}}  {first}")
        lines.extend(f"  {'':<{width}}  {more}" for more in rest)
    lines.append(f"Nodes: {node_counts(detail)}")
    if detail.nodes:
        lines.extend(_node_lines(detail.nodes, with_datasets=with_datasets))
    return lines


def _header_rows(detail: RunDetail) -> list[tuple[str, str]]:
    rows = [("Status", _status_text(detail))]
    if detail.error:
        rows.append(("Error", detail.error))
    if detail.resumes:
        rows.append(("Resumes", detail.resumes))
    if detail.resumed_by:
        later = (f"{run_id} ({status})" for run_id, status in detail.resumed_by.items())
        rows.append(("Resumed by", "\n".join(later)))
    rows += [
        ("Pipeline", detail.pipeline),
        ("Env", detail.env or "-"),
        ("Executor", detail.executor or "-"),
        ("Command", shlex.join(detail.command) or "-"),
        ("Git", _git_text(detail.git_commit, detail.git_dirty)),
        ("Started", local_time(detail.started)),
        ("Ended", local_time(detail.ended) if detail.ended is not None else "-"),
        ("Duration", duration_text(detail.duration)),
        ("Host", f"{detail.host}, process {detail.pid}"),
        ("Parameters", _parameters_text(detail.parameters)),
    ]
    if detail.partitions:
        committed = (
            f"{p.count} committed by {p.node_name} to {p.dataset}" for p in detail.partitions
        )
        rows.append(("Partitions", "\n".join(committed)))
    return rows


def _status_text(detail: RunDetail) -> str:
    if detail.status == "crashed":
        return "crashed (recorded as running, but its process is gone)"
    return detail.status


def _git_text(commit: str | None, dirty: bool | None) -> str:
    if commit is None:
        return "uncommitted changes, no commit yet" if dirty else "-"
    return f"{commit} (uncommitted changes)" if dirty else commit


def _parameters_text(parameters: Mapping[str, Any]) -> str:
    count = count_leaves(parameters)
    return f"{count} resolved (--json shows them)" if count else "none"


_NODE_HEADER: Final = ("Node", "Status", "Reason", "Duration", "Peak memory")


def _node_lines(nodes: Sequence[NodeRecord], *, with_datasets: bool) -> list[str]:
    rows = [_node_row(node) for node in nodes]
    header, *body = table(_NODE_HEADER, rows, right={3, 4}, indent=2)
    lines = [header]
    for node, line in zip(nodes, body, strict=True):
        lines.append(line)
        if node.error:
            lines.extend(f"      {text}" for text in f"error: {node.error}".splitlines())
        if with_datasets:
            lines.extend(
                f"      {record.role:<4}  {dataset_label(record)}" for record in node.datasets
            )
    return lines


def _node_row(node: NodeRecord) -> tuple[str, ...]:
    status = _node_status(node.status)
    if node.attempts > 1:
        status += f" ({node.attempts} attempts)"
    return (
        node.node_name,
        status,
        node.reason or "-",
        duration_text(node.duration),
        memory_text(node.peak_memory),
    )


# -- runs diff -------------------------------------------------------------------------------


@runs.command("diff")
@click.argument("run_a")
@click.argument("run_b", default="latest")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(run_a: str, run_b: str, as_json: bool) -> None:
    """Show what changed from run RUN_A to run RUN_B (default: latest)."""
    with open_journal() as journal:
        found = journal.diff(run_a, run_b)
    if as_json:
        click.echo(json_text({**asdict(found), "identical": found.identical}))
        return
    for line in diff_lines(found):
        click.echo(line)


def diff_lines(found: RunDiff) -> list[str]:
    """``found`` in words: one section per kind of difference, or ``No differences.``."""
    lines = [f"Comparing run {found.run_a} with run {found.run_b}."]
    if found.identical:
        return [*lines, "No differences."]
    if found.status is not None:
        lines.append(f"Status: {found.status.before} -> {found.status.after}")
    for title, entries in _diff_sections(found):
        if entries:
            lines.append(f"{title}:")
            lines.extend(f"  {name}: {text}" for name, text in entries.items())
    return lines


def _diff_sections(found: RunDiff) -> list[tuple[str, Mapping[str, str]]]:
    """Each kind of difference, titled: name (parameter, node, dataset) → what changed."""
    return [
        ("Parameters added", {k: value_text(v) for k, v in found.params_added.items()}),
        ("Parameters removed", {k: value_text(v) for k, v in found.params_removed.items()}),
        (
            "Parameters changed",
            {
                k: f"{value_text(c.before)} -> {value_text(c.after)}"
                for k, c in found.params_changed.items()
            },
        ),
        ("Code changed", {k: _components(v) for k, v in found.code_changed.items()}),
        ("Inputs changed", {k: ", ".join(v) for k, v in found.inputs_changed.items()}),
        ("Catalog entries changed", {k: ", ".join(v) for k, v in found.catalog_changed.items()}),
        (
            "Datasets changed",
            {k: _dataset_change(c) for k, c in found.datasets_changed.items()},
        ),
        (
            "Node statuses changed",
            {
                k: f"{_node_status(c.before)} -> {_node_status(c.after)}"
                for k, c in found.nodes_changed.items()
            },
        ),
    ]


def _node_status(status: str | None) -> str:
    return "no record" if status is None else status.replace("_", " ")


def _components(names: Sequence[str]) -> str:
    return ", ".join(names) or "(the code fingerprint differs; no component is recorded)"


def _dataset_change(change: Change[DatasetRecord | None]) -> str:
    before, after = change.before, change.after
    same_content = (
        before is not None
        and after is not None
        and before.fingerprint is not None
        and before.fingerprint == after.fingerprint
    )
    return f"{_data_state(before)} -> {_data_state(after, same_content=same_content)}"


def _data_state(record: DatasetRecord | None, *, same_content: bool = False) -> str:
    """A run's data of one dataset in words: what it saved, or else what it read."""
    if record is None:
        return "not saved"
    parts = [] if record.version is None else [f"version {record.version}"]
    if same_content:
        parts.append("same content")
    elif record.fingerprint is not None:
        parts.append(f"fingerprint {short_fingerprint(record.fingerprint)}")
    if record.persisted is False:
        parts.append("in memory")
    text = ", ".join(parts)
    if record.role == "load":
        return f"not saved, read {text}" if text else "not saved, read"
    return text or "saved, with no version or fingerprint"


# -- runs prune ------------------------------------------------------------------------------


@runs.command("prune")
@click.option(
    "--keep", type=click.IntRange(min=0), default=None, help="Leave the N newest runs alone."
)
@click.option(
    "--older-than",
    "older_than",
    default=None,
    metavar="AGE",
    help="Only runs started more than AGE ago: 90m, 12h, 30d, 8w.",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option("--vacuum", is_flag=True, help="Then shrink the journal file (rewrites it).")
def prune(keep: int | None, older_than: str | None, dry_run: bool, vacuum: bool) -> None:
    """Remove old runs from the journal, keeping what later runs rely on.

    With --keep and --older-than together, a run goes when both select it. A selected run
    stays while it holds a node's last successful execution (which incremental runs
    compare with) or a partition's latest commit, is running, or is the newest run of its
    pipeline.
    """
    if keep is None and older_than is None:
        raise JournalError(
            "Say which runs to remove: --keep N (leave the N newest runs) and/or "
            "--older-than AGE (say 30d); add --dry-run to see them first."
        )
    before = None if older_than is None else datetime.now(UTC) - parse_age(older_than)
    with open_journal() as journal:
        report = journal.prune(keep=keep, before=before, dry_run=dry_run, vacuum=vacuum)
        where = journal.path
    verb = "Would remove" if dry_run else "Removed"
    click.echo(
        f"{verb} {len(report.runs)} run(s) and their {report.nodes:,} node record(s) from {where}."
    )
    if dry_run:
        click.echo("".join(f"  {run_id}\n" for run_id in report.runs), nl=False)
    if report.kept:
        click.echo(
            f"Kept {len(report.kept)} of the runs selected: later runs rely on them (a "
            "node's last success, a partition's latest commit, a running run, or the newest "
            "run of a pipeline)."
        )


_AGE_UNITS: Final = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """``90m``, ``12h``, ``30d`` or ``8w`` as a duration.

    Raises:
        JournalError: If ``text`` is not a whole number followed by m, h, d or w.
    """
    number, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if not number.isdigit() or unit not in _AGE_UNITS:
        raise JournalError(
            f"--older-than {text!r} is not an age: write a whole number and a unit, m "
            "(minutes), h (hours), d (days) or w (weeks), as in 30d."
        )
    return timedelta(seconds=int(number) * _AGE_UNITS[unit])


# -- lineage ---------------------------------------------------------------------------------


@click.command()
@click.argument("dataset", metavar="DATASET[@VERSION]")
@click.option(
    "-d",
    "--depth",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="How many producers up to follow from the dataset; 0 follows them all.",
)
def lineage(dataset: str, depth: int) -> None:
    """Show which run and node produced a dataset, and from which inputs."""
    name, version = _parse_dataset(dataset)
    with open_journal() as journal:
        top = _saved(journal, name, version)
        if top is None:
            click.echo(
                f"Dataset {name!r} was loaded by recorded runs but never saved by one: it is "
                "a source, with no recorded lineage."
            )
            return
        lines, cut = lineage_lines(journal, top, depth)
    for line in lines:
        click.echo(line)
    if cut:
        click.echo("(Inputs not followed further: use --depth N, or --depth 0 for all.)")


def _parse_dataset(text: str) -> tuple[str, str | None]:
    name, at, version = text.partition("@")
    if not name or (at and not version):
        raise JournalError(
            f"Invalid dataset {text!r}: give a dataset name, optionally followed by @ and a "
            "version (e.g. model@2026-11-22T10.15.00.123456Z).",
            dataset_name=name or None,
        )
    return name, version or None


def _saved(journal: Journal, name: str, version: str | None) -> Producer | None:
    """The save to start from; ``None`` when the dataset was only ever loaded.

    Raises:
        JournalError: If no recorded node loaded or saved ``name``, or none saved
            ``version`` of it, with the closest names or versions.
    """
    found = journal.producers(name, version)
    if found:
        return found[0]
    known = journal.datasets()
    if name not in known:
        raise JournalError(
            f"Dataset {name!r} is not in the journal {journal.path}: no recorded run loaded "
            f"or saved it.{did_you_mean(name, known)} Run 'datamill runs show --datasets' "
            "to see the datasets of a run.",
            path=str(journal.path),
            dataset_name=name,
        )
    if version is None:
        return None
    raise _unknown_version(journal, name, version)


def _unknown_version(journal: Journal, name: str, version: str) -> JournalError:
    saves = journal.producers(name, limit=None)
    versions = list(dict.fromkeys(p.output.version for p in saves if p.output.version))
    if not saves:
        known = " It was never saved by one: it is a source, with no recorded lineage."
    elif versions:
        known = f" Recorded versions, newest first: {quoted(versions, limit=5)}."
    else:
        known = " No save of it has a version: leave the version out."
    return JournalError(
        f"No recorded run saved version {version!r} of dataset {name!r}."
        f"{did_you_mean(version, versions)}{known}",
        path=str(journal.path),
        dataset_name=name,
    )


def lineage_lines(journal: Journal, top: Producer, depth: int) -> tuple[list[str], bool]:
    """The lineage tree of ``top``'s output, ``depth`` producers deep (0: all).

    Returns:
        The lines, and whether some input was not followed because of ``depth``.
    """
    from datamill.pipeline import is_parameter

    lines = [dataset_label(top.output), f"  {_saved_by(top, guessed=False)}"]
    seen = {_key(top)}
    cut = False
    stack = [(1, source, top) for source in reversed(top.inputs)]
    while stack:  # depth first, without recursion: a lineage may be thousands of runs long
        level, source, reader = stack.pop()
        pad = "  " * level
        lines.append(f"{pad}from {dataset_label(source)}")
        if is_parameter(source.name):
            continue
        if depth and level >= depth:
            cut = True
            continue
        producer, guessed = _producer_of(journal, source, reader)
        if producer is None:
            lines.append(f"{pad}  not saved by any recorded run")
        elif _key(producer) in seen:
            lines.append(
                f"{pad}  {_saved_by(producer, guessed=guessed)}; its lineage is shown above"
            )
        else:
            seen.add(_key(producer))
            lines.append(f"{pad}  {_saved_by(producer, guessed=guessed)}")
            stack.extend((level + 1, s, producer) for s in reversed(producer.inputs))
    return lines, cut


def _producer_of(
    journal: Journal, source: DatasetRecord, reader: Producer
) -> tuple[Producer | None, bool]:
    """The save ``reader`` read ``source`` from, and whether it was matched by time only."""
    if source.version is not None or source.fingerprint is not None:
        fingerprint = source.fingerprint if source.version is None else None
        found = journal.producers(source.name, source.version, fingerprint=fingerprint, limit=None)
        exact = _other_nodes(found, reader)
        if exact:
            before = [p for p in exact if _ended_before(p.ended, reader.ended)]
            return (before[0] if before else exact[-1]), False
        if source.version is not None:
            return None, False
    return _by_time(journal, source.name, reader)


def _by_time(journal: Journal, name: str, reader: Producer) -> tuple[Producer | None, bool]:
    """The last save of ``name`` before ``reader`` ended: in its own run if there is one
    (certain), else the last persisted one (a guess: memory data never leaves its run)."""
    found = _other_nodes(journal.producers(name, limit=None), reader)
    before = [p for p in found if _ended_before(p.ended, reader.ended)]
    same_run = [p for p in before if p.run_id == reader.run_id]
    if same_run:
        return same_run[0], False
    persisted = [p for p in before if p.output.persisted is not False]
    return (persisted[0], True) if persisted else (None, False)


def _other_nodes(producers: Sequence[Producer], reader: Producer) -> list[Producer]:
    """``producers`` without ``reader`` itself (a node may read and rewrite a dataset)."""
    return [p for p in producers if (p.run_id, p.node_name) != (reader.run_id, reader.node_name)]


def _ended_before(ended: datetime | None, reader_ended: datetime | None) -> bool:
    return ended is None or reader_ended is None or ended <= reader_ended


def _key(producer: Producer) -> tuple[str, str]:
    """The node execution: its inputs are the same whichever of its outputs led to it."""
    return (producer.run_id, producer.node_name)


def _saved_by(producer: Producer, *, guessed: bool) -> str:
    status = "" if producer.node_status == "ran" else f" ({producer.node_status})"
    when = "" if producer.ended is None else f", {local_time(producer.ended)}"
    text = (
        f"saved by node {producer.node_name!r}{status} in run {producer.run_id} "
        f"(pipeline {producer.pipeline!r}{when})"
    )
    return f"{text}, its last save before it was read" if guessed else text


# -- the journal -----------------------------------------------------------------------------


def project_journal(start: str | Path = ".") -> tuple[Path, timedelta | None]:
    """Where the project in (or above) ``start`` keeps its run journal, and the staleness
    to open it with (the ``JOURNAL_STALE_AFTER`` setting).

    Raises:
        ProjectError: If ``start`` is not in a project, or its settings are invalid.
    """
    from datamill.project import find_project, load_settings

    metadata = find_project(start)
    settings = load_settings(metadata)
    return metadata.root / settings.journal_path, settings.journal_staleness


@contextmanager
def open_journal() -> Iterator[Journal]:
    """The journal of the project in the current folder, opened for reading.

    Raises:
        JournalError: If the project has no journal yet (it is not created), or it cannot
            be read.
    """
    path, staleness = project_journal()
    if not path.exists():
        raise JournalError(_NO_RUNS.format(path=path), path=str(path))
    with Journal(path, stale_after=staleness) as journal:
        yield journal
