"""Tests of the ``hello`` pipeline."""

from datamill import DataCatalog, run

from {{ package_name }}.pipelines.hello import create_pipeline
from {{ package_name }}.pipelines.hello.nodes import greet


def test_greet() -> None:
    assert greet("Ada") == "Hello, Ada!"


def test_the_pipeline_greets_the_name_in_the_parameters() -> None:
    catalog = DataCatalog(parameters={"hello": {"name": "Ada"}})
    assert run(create_pipeline(), catalog) == {"greeting": "Hello, Ada!"}
