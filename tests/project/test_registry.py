"""The lazy pipeline registry: discovery without imports, __default__, register_pipelines."""

from __future__ import annotations

import sys

import pytest

from datamill import Pipeline
from datamill.errors import ProjectError
from datamill.project import PipelineRegistry, find_project
from tests.project.conftest import PACKAGE, Project

PROCESSING = f"{PACKAGE}.pipelines.data_processing"
REPORTING = f"{PACKAGE}.pipelines.reporting"


def registry_of(project: Project) -> PipelineRegistry:
    return PipelineRegistry(find_project(project.root))


def test_names_without_importing(project: Project) -> None:
    project.write_package("pipelines/not_a_pipeline/data.txt", "no __init__.py here")
    registry = registry_of(project)
    assert registry.names() == ["__default__", "data_processing", "reporting"]
    assert list(registry) == registry.names()
    assert len(registry) == 3
    assert "reporting" in registry
    assert "nope" not in registry
    assert PACKAGE not in sys.modules


def test_asking_for_one_pipeline_imports_only_it(project: Project) -> None:
    registry = registry_of(project)
    pipe = registry["data_processing"]
    assert [n.name for n in pipe.nodes] == ["scale", "total"]
    assert PROCESSING in sys.modules
    assert REPORTING not in sys.modules
    assert registry["data_processing"] is pipe  # built once


def test_default_is_the_sum_of_all(project: Project) -> None:
    registry = registry_of(project)
    default = registry["__default__"]
    assert default == registry["data_processing"] + registry["reporting"]
    assert {n.name for n in default.nodes} == {"scale", "total", "report", "metrics"}


def test_unknown_pipeline_suggests_the_closest(project: Project) -> None:
    with pytest.raises(ProjectError) as info:
        registry_of(project)["reportng"]
    assert str(info.value) == (
        "Pipeline 'reportng' is not in project 'mill-demo'. Did you mean 'reporting'? "
        "Available pipelines: '__default__', 'data_processing', 'reporting'."
    )


def test_module_without_create_pipeline(project: Project) -> None:
    project.write_package("pipelines/broken/__init__.py", "def make():\n    pass\n")
    with pytest.raises(ProjectError, match=rf"'{PACKAGE}.pipelines.broken' has no create_pipeline"):
        registry_of(project)["broken"]


def test_create_pipeline_returning_something_else(project: Project) -> None:
    project.write_package("pipelines/broken/__init__.py", "def create_pipeline():\n    return []\n")
    with pytest.raises(
        ProjectError, match=rf"{PACKAGE}.pipelines.broken.create_pipeline\(\) returned list"
    ):
        registry_of(project)["broken"]


def test_register_pipelines_adds_and_overrides(project: Project) -> None:
    project.write_package(
        "pipeline_registry.py",
        f"""\
        from {PACKAGE}.pipelines import data_processing


        def register_pipelines():
            pipe = data_processing.create_pipeline()
            scale = pipe.only_nodes("scale")
            return {{"data_processing": scale, "total_only": pipe - scale}}
        """,
    )
    registry = registry_of(project)
    assert registry.names() == ["__default__", "data_processing", "reporting", "total_only"]
    assert [n.name for n in registry["data_processing"].nodes] == ["scale"]
    assert [n.name for n in registry["total_only"].nodes] == ["total"]
    assert REPORTING not in sys.modules
    assert {n.name for n in registry["__default__"].nodes} == {
        "scale",
        "total",
        "report",
        "metrics",
    }


def test_registered_default_wins(project: Project) -> None:
    project.write_package(
        "pipeline_registry.py",
        f"""\
        from {PACKAGE}.pipelines import reporting


        def register_pipelines():
            return {{"__default__": reporting.create_pipeline()}}
        """,
    )
    registry = registry_of(project)
    assert {n.name for n in registry["__default__"].nodes} == {"report", "metrics"}
    assert PROCESSING not in sys.modules


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("X = 1\n", "has no register_pipelines"),
        ("def register_pipelines():\n    return [1]\n", "must return a dict of pipelines"),
        ("def register_pipelines():\n    return {'a': 1}\n", r"\['a'\] returned int"),
    ],
)
def test_bad_pipeline_registry(project: Project, source: str, message: str) -> None:
    project.write_package("pipeline_registry.py", source)
    with pytest.raises(ProjectError, match=message):
        registry_of(project).names()


def test_a_project_without_pipelines(project: Project) -> None:
    project.write("pyproject.toml", '[tool.datamill]\npackage_name = "empty"\n')
    project.write("src/empty/__init__.py", "")
    registry = registry_of(project)
    assert registry.names() == ["__default__"]
    assert registry["__default__"] == Pipeline()


def test_clear_forgets_built_pipelines(project: Project) -> None:
    registry = registry_of(project)
    first = registry["reporting"]
    registry.clear()
    assert registry["reporting"] is not first
    assert isinstance(registry["reporting"], Pipeline)
