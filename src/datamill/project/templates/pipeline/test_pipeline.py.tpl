"""Tests of the ``{{ pipeline_name }}`` pipeline."""

from datamill import Pipeline

from {{ package_name }}.pipelines.{{ pipeline_name }} import create_pipeline


def test_create_pipeline_returns_a_pipeline() -> None:
    assert isinstance(create_pipeline(), Pipeline)
