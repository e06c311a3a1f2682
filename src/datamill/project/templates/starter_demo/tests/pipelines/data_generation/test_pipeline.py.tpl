"""Tests of the ``data_generation`` pipeline."""

import pandas as pd
import pytest

from {{ package_name }}.pipelines.data_generation.nodes import (
    generate_companies,
    generate_reviews,
    generate_shuttles,
)

OPTIONS = {"seed": 1, "companies": 5, "shuttles": 20, "missing_review_share": 0.2}


def make_tables(options: dict) -> list[pd.DataFrame]:
    companies = generate_companies(options)
    shuttles = generate_shuttles(companies, options)
    return [companies, shuttles, generate_reviews(shuttles, options)]


def test_the_same_seed_gives_the_same_tables() -> None:
    for first, second in zip(make_tables(OPTIONS), make_tables(OPTIONS), strict=True):
        pd.testing.assert_frame_equal(first, second)


def test_another_seed_gives_other_prices() -> None:
    _, shuttles, _ = make_tables(OPTIONS)
    _, other, _ = make_tables({**OPTIONS, "seed": 2})
    assert not shuttles["price"].equals(other["price"])


@pytest.mark.parametrize("table", [0, 1, 2])
def test_tables_have_the_requested_sizes(table: int) -> None:
    sizes = [OPTIONS["companies"], OPTIONS["shuttles"], OPTIONS["shuttles"]]
    assert len(make_tables(OPTIONS)[table]) == sizes[table]
