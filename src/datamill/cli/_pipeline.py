"""``datamill pipeline``: list a project's pipelines, describe one, or create a new one.

``list`` reads the pipeline folders without importing them (a project with
``pipeline_registry.py`` has that module imported). ``describe`` imports only the pipeline
asked for and prints its nodes in topological order. ``create`` scaffolds a pipeline
folder, its parameters file and its test.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from datamill.pipeline import Node, Pipeline
    from datamill.project import PipelineRegistry

__all__ = ["create_pipeline", "describe_pipeline", "pipeline"]


@click.group()
def pipeline() -> None:
    """Inspect and create the pipelines of the project in the current folder."""


@pipeline.command("create")
@click.argument("name")
def create_pipeline(name: str) -> None:
    """Create pipeline NAME: its folder, parameters file and test."""
    from datamill.project import find_project
    from datamill.project._template import create_pipeline_folder

    metadata = find_project()
    for path in create_pipeline_folder(metadata, name):
        click.echo(f"Created {path.relative_to(metadata.root)}")


@pipeline.command("list")
def list_pipelines() -> None:
    """List the pipeline names (__default__ first)."""
    for name in _registry().names():
        click.echo(name)


@pipeline.command("describe")
@click.argument("name", default="__default__")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
def describe(name: str, as_json: bool) -> None:
    """Show a pipeline's nodes in run order: inputs -> outputs, tags and namespace."""
    description = describe_pipeline(name, _registry()[name])
    if as_json:
        click.echo(json.dumps(description, indent=2))
    else:
        _echo_description(description)


def describe_pipeline(name: str, pipe: Pipeline) -> dict[str, Any]:
    """A JSON-ready description of ``pipe``: its nodes in topological order, inputs, outputs."""
    return {
        "name": name,
        "nodes": [_describe_node(node) for node in pipe.nodes],
        "inputs": sorted(pipe.inputs()),
        "outputs": sorted(pipe.outputs()),
    }


def _describe_node(node: Node) -> dict[str, Any]:
    return {
        "name": node.name,
        "func": node.func_name,
        "inputs": list(node.inputs),
        "outputs": list(node.outputs),
        "tags": sorted(node.tags),
        "namespace": node.namespace,
    }


def _echo_description(description: dict[str, Any]) -> None:
    nodes = description["nodes"]
    click.echo(f"Pipeline {description['name']!r}: {len(nodes)} node(s)")
    for index, node in enumerate(nodes, start=1):
        inputs = ", ".join(node["inputs"]) or "(none)"
        outputs = ", ".join(node["outputs"]) or "(none)"
        click.echo(f"  {index}. {node['name']}: {inputs} -> {outputs}")
        details = []
        if node["tags"]:
            details.append(f"tags: {', '.join(node['tags'])}")
        if node["namespace"]:
            details.append(f"namespace: {node['namespace']}")
        if details:
            click.echo(f"     {'; '.join(details)}")
    click.echo(f"Inputs: {', '.join(description['inputs']) or '(none)'}")
    click.echo(f"Outputs: {', '.join(description['outputs']) or '(none)'}")


def _registry() -> PipelineRegistry:
    from datamill.project import PipelineRegistry, find_project

    return PipelineRegistry(find_project())
