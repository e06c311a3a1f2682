"""Tests of the ``data_processing`` pipeline."""

import pandas as pd

from {{ package_name }}.pipelines.data_processing.nodes import (
    build_model_input,
    parse_money,
    parse_percentage,
)


def test_parse_money() -> None:
    assert parse_money(pd.Series(["$1,234.50", "$7.00"])).tolist() == [1234.5, 7.0]


def test_parse_percentage() -> None:
    assert parse_percentage(pd.Series(["87%", "100%"])).tolist() == [0.87, 1.0]


def test_model_input_keeps_complete_numeric_rows() -> None:
    listings = pd.DataFrame(
        {"shuttle_id": ["a", "b"], "price": [1.0, 2.0], "review_score": [None, 80.0]}
    )
    model_input = build_model_input(listings)
    assert model_input.to_dict("list") == {"price": [2.0], "review_score": [80.0]}
