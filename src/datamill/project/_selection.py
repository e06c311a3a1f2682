"""Choosing the part of a pipeline to run, with every unknown name reported at once.

`Pipeline.filter` stops at the first slicing option that names something unknown. A run
from the command line should instead list every unknown node, dataset, tag and namespace
across all options (each with "did you mean"), and still check the part of the pipeline the
known names select, so that all problems are reported together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from datamill._text import did_you_mean
from datamill.errors import PipelineError
from datamill.pipeline import Pipeline

__all__ = ["Slicing", "forced_problems", "select"]


@dataclass(frozen=True, slots=True)
class Slicing:
    """The slicing options of a run; each is a list of names, or None when not given."""

    node_names: Iterable[str] | None = None
    from_nodes: Iterable[str] | None = None
    to_nodes: Iterable[str] | None = None
    from_inputs: Iterable[str] | None = None
    to_outputs: Iterable[str] | None = None
    tags: Iterable[str] | None = None
    namespaces: Iterable[str] | None = None


# option -> (how the command line spells it, what its names are)
_OPTIONS: Final = {
    "node_names": ("--nodes", "node"),
    "from_nodes": ("--from-nodes", "node"),
    "to_nodes": ("--to-nodes", "node"),
    "from_inputs": ("--from-inputs", "dataset"),
    "to_outputs": ("--to-outputs", "dataset"),
    "tags": ("--tags", "tag"),
    "namespaces": ("--namespaces", "namespace"),
}


def select(pipeline: Pipeline, name: str, slicing: Slicing) -> tuple[Pipeline, list[str]]:
    """The slice of ``pipeline`` (registered as ``name``) chosen by ``slicing``.

    Unknown names are dropped from their option and reported; an option left with no
    known name is ignored.

    Returns:
        The slice, empty if the options select no node, and one message per problem.
    """
    problems: list[str] = []
    kept: dict[str, list[str]] = {}
    for option, (label, kind) in _OPTIONS.items():
        given = getattr(slicing, option)
        if given is None:
            continue
        names = [given] if isinstance(given, str) else list(dict.fromkeys(given))
        known = _known(pipeline, kind)
        problems += [_not_in(label, kind, n, known, name) for n in names if n not in known]
        if option == "to_outputs":
            problems += _inputs_only(pipeline, [n for n in names if n in known])
            known = set(pipeline.graph.producer)
        chosen = [n for n in names if n in known]
        if chosen:
            kept[option] = chosen
    if not kept:
        return pipeline, problems
    try:
        return _filter(pipeline, kept), problems
    except PipelineError as exc:
        return Pipeline([]), [*problems, str(exc)]


def forced_problems(
    forced: Iterable[str], selected: Pipeline, whole: Pipeline, name: str
) -> list[str]:
    """One message per node named by ``--force`` that the run cannot force: unknown in
    pipeline ``name`` (``whole``), or left out of the part of it that runs (``selected``)."""
    problems = []
    known, running = set(whole.graph.position), set(selected.graph.position)
    for node_name in dict.fromkeys(forced):
        if node_name not in known:
            problems.append(_not_in("--force", "node", node_name, known, name))
        elif node_name not in running:
            problems.append(
                f"--force: node {node_name!r} is not among the nodes selected to run; "
                "select it too, or leave it out of --force."
            )
    return problems


def _not_in(label: str, kind: str, unknown: str, known: set[str], name: str) -> str:
    """The message for a name an option gives that pipeline ``name`` does not have: the
    closest names, or else where to see them."""
    hint = did_you_mean(unknown, known) or (
        f" 'datamill pipeline describe {name}' lists its nodes, datasets and tags."
    )
    return f"{label}: {kind} {unknown!r} is not in pipeline {name!r}.{hint}"


def _known(pipeline: Pipeline, kind: str) -> set[str]:
    if kind == "node":
        return set(pipeline.graph.position)
    if kind == "dataset":
        return pipeline.datasets()
    if kind == "tag":
        return pipeline.tags()
    return pipeline.namespaces()


def _inputs_only(pipeline: Pipeline, datasets: list[str]) -> list[str]:
    return [
        f"--to-outputs: dataset {d!r} is an input of the pipeline: no node produces it, so "
        "there is nothing to run to obtain it."
        for d in datasets
        if d not in pipeline.graph.producer
    ]


def _filter(pipeline: Pipeline, kept: dict[str, list[str]]) -> Pipeline:
    return pipeline.filter(
        node_names=kept.get("node_names"),
        from_nodes=kept.get("from_nodes"),
        to_nodes=kept.get("to_nodes"),
        from_inputs=kept.get("from_inputs"),
        to_outputs=kept.get("to_outputs"),
        tags=kept.get("tags"),
        node_namespaces=kept.get("namespaces"),
    )
