"""Tests of the ``data_science`` pipeline."""

import numpy as np
import pandas as pd

from {{ package_name }}.pipelines.data_science import create_pipeline
from {{ package_name }}.pipelines.data_science.nodes import evaluate_model, split_data, train_model

OPTIONS = {"features": ["x"], "test_size": 0.25, "random_state": 0}


def linear_data() -> pd.DataFrame:
    x = np.arange(40, dtype=float)
    return pd.DataFrame({"x": x, "price": 3.0 * x + 5.0})


def test_a_linear_model_fits_linear_data() -> None:
    x_train, x_test, y_train, y_test = split_data(linear_data(), OPTIONS)
    assert (len(x_train), len(x_test)) == (30, 10)
    model = train_model(x_train, y_train, {"kind": "linear_regression"})
    assert evaluate_model(model, x_test, y_test)["r2"] > 0.99


def test_each_candidate_has_its_namespace() -> None:
    data_science = create_pipeline()
    assert data_science.namespaces() == {"linear_regression", "random_forest"}
    assert {"linear_regression.metrics", "random_forest.metrics"} <= data_science.all_outputs()
