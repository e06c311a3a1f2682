"""Every pipeline of the project builds."""

from pathlib import Path

from datamill import Pipeline
from datamill.project import PipelineRegistry, find_project


def test_every_pipeline_builds() -> None:
    pipelines = PipelineRegistry(find_project(Path(__file__).parent))
    for name in pipelines.names():
        assert isinstance(pipelines[name], Pipeline), name
