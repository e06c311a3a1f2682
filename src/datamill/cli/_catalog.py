"""``datamill catalog``: what the data catalog declares and what each dataset resolves to.

``list`` shows the explicit entries and the patterns or, for a pipeline, how each of its
datasets is served (explicit entry, pattern, parameter, or undeclared and kept in memory).
``describe`` prints entries' configuration and ``resolve`` what patterns give a pipeline's
datasets, both as YAML with secrets masked. Nothing is loaded and no dataset is created.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from datamill.cli._options import conf_source_option, env_option

if TYPE_CHECKING:
    from datamill.io import DataCatalog
    from datamill.project import Session

__all__ = ["DatasetKinds", "catalog", "classify"]

_PIPELINE_HELP = "Show the datasets of this pipeline (e.g. __default__)."


@click.group()
def catalog() -> None:
    """Inspect the data catalog of the project in the current folder."""


@catalog.command("list")
@click.option("-p", "--pipeline", default=None, help=_PIPELINE_HELP)
@env_option
@conf_source_option
def list_datasets(pipeline: str | None, env: str | None, conf_source: Path | None) -> None:
    """List the catalog's datasets and patterns, or how a pipeline's datasets are served."""
    with _session(env, conf_source) as session:
        data_catalog = session.catalog()
        if pipeline is None:
            _echo_catalog(data_catalog)
        else:
            kinds = classify(data_catalog, session.pipelines[pipeline].datasets())
            _echo_kinds(pipeline, kinds)


@catalog.command("describe")
@click.argument("names", nargs=-1, required=True)
@env_option
@conf_source_option
def describe(names: tuple[str, ...], env: str | None, conf_source: Path | None) -> None:
    """Show the configuration of datasets (explicit or from a pattern), secrets masked."""
    with _session(env, conf_source) as session:
        data_catalog = session.catalog()
        known = set(data_catalog.list())
        for name in names:
            if name not in known and matching_pattern(data_catalog, name) is None:
                data_catalog[name]  # a parameter, or DatasetNotFoundError with "did you mean"
        click.echo(_yaml(data_catalog.resolve(names)), nl=False)


@catalog.command("resolve")
@click.option("-p", "--pipeline", default="__default__", show_default=True, help=_PIPELINE_HELP)
@env_option
@conf_source_option
def resolve(pipeline: str, env: str | None, conf_source: Path | None) -> None:
    """Print, as YAML, the entries that patterns give a pipeline's datasets."""
    with _session(env, conf_source) as session:
        data_catalog = session.catalog()
        kinds = classify(data_catalog, session.pipelines[pipeline].datasets())
        resolved = data_catalog.resolve(sorted(kinds.patterned))
        if not resolved:
            click.echo("# No dataset of the pipeline comes from a pattern.")
            return
        click.echo(_yaml(resolved), nl=False)


# -- classification -------------------------------------------------------------------------


@dataclass
class DatasetKinds:
    """How each dataset of a pipeline is served by the catalog.

    Attributes:
        explicit: Names with their own catalog entry.
        patterned: Names served by a pattern, with the pattern (the catch-all included).
        parameters: ``parameters`` and ``params:...`` names.
        memory: Undeclared names that no pattern matches: kept in memory during a run.
    """

    explicit: list[str] = field(default_factory=list)
    patterned: dict[str, str] = field(default_factory=dict)
    parameters: list[str] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)


def classify(data_catalog: DataCatalog, names: Iterable[str]) -> DatasetKinds:
    """Sort ``names`` by how ``data_catalog`` serves them (creates no dataset)."""
    from datamill.pipeline import is_parameter

    kinds = DatasetKinds()
    declared = set(data_catalog.list())
    for name in sorted(names):
        pattern = None if name in declared else matching_pattern(data_catalog, name)
        if name in declared:
            kinds.explicit.append(name)
        elif is_parameter(name):
            kinds.parameters.append(name)
        elif pattern is not None:
            kinds.patterned[name] = pattern
        else:
            kinds.memory.append(name)
    return kinds


def matching_pattern(data_catalog: DataCatalog, name: str) -> str | None:
    """The pattern of ``data_catalog`` that serves ``name``, or None (catch-all included)."""
    # The catalog lists its patterns in rank order; the first that matches is the one used.
    # (Equally specific matches are an error the catalog reports when resolving.)
    from datamill.io._patterns import Pattern

    for pattern in data_catalog.patterns():
        if Pattern.compile(pattern).match(name) is not None:
            return pattern
    return None


# -- output ---------------------------------------------------------------------------------


def _echo_catalog(data_catalog: DataCatalog) -> None:
    described = data_catalog.describe()
    click.echo(f"Datasets ({len(described)}):")
    _echo_rows((name, str(entry.get("type", "?"))) for name, entry in described.items())
    patterns = data_catalog.patterns()
    if patterns:
        click.echo(f"Patterns ({len(patterns)}, most specific first):")
        _echo_rows((p, str(data_catalog.resolve(p)[p].get("type", "?"))) for p in patterns)


def _echo_kinds(pipeline: str, kinds: DatasetKinds) -> None:
    click.echo(f"Datasets of pipeline {pipeline!r}:")
    click.echo(f"  Declared in the catalog ({len(kinds.explicit)}):")
    _echo_rows(((name, "") for name in kinds.explicit), indent=4)
    click.echo(f"  From patterns ({len(kinds.patterned)}):")
    _echo_rows(((name, f"<- {p!r}") for name, p in kinds.patterned.items()), indent=4)
    click.echo(f"  Parameters ({len(kinds.parameters)}):")
    _echo_rows(((name, "") for name in kinds.parameters), indent=4)
    click.echo(f"  Undeclared, kept in memory ({len(kinds.memory)}):")
    _echo_rows(((name, "") for name in kinds.memory), indent=4)


def _echo_rows(rows: Iterable[tuple[str, str]], indent: int = 2) -> None:
    items = list(rows)
    width = max((len(name) for name, _ in items), default=0)
    for name, detail in items:
        click.echo(f"{' ' * indent}{name:<{width}}  {detail}".rstrip())


def _yaml(data: Any) -> str:
    import yaml

    text: str = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return text


def _session(env: str | None, conf_source: Path | None) -> Session:
    from datamill.project import Session

    source = conf_source.resolve() if conf_source is not None else None
    return Session.create(".", env=env, conf_source=source)
