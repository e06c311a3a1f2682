"""Nodes that split the model input, train a regressor, score it and chart the scores."""

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split

TARGET = "price"

log = logging.getLogger(__name__)


def split_data(
    data: pd.DataFrame, options: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Split the features and the price into training and test rows."""
    features = data[options["features"]].astype(float)
    x_train, x_test, y_train, y_test = train_test_split(
        features,
        data[TARGET],
        test_size=options["test_size"],
        random_state=options["random_state"],
    )
    return x_train, x_test, y_train, y_test


def train_model(x_train: pd.DataFrame, y_train: pd.Series, estimator: dict[str, Any]) -> Any:
    """Fit the regressor that ``estimator`` describes: its ``kind`` and its settings."""
    settings = dict(estimator)
    kind = settings.pop("kind")
    if kind == "linear_regression":
        model: RegressorMixin = LinearRegression(**settings)
    elif kind == "random_forest":
        model = RandomForestRegressor(**settings)
    else:
        raise ValueError(f"Unknown estimator kind {kind!r}: use linear_regression or random_forest")
    return model.fit(x_train, y_train)


def evaluate_model(regressor: Any, x_test: pd.DataFrame, y_test: pd.Series) -> dict[str, float]:
    """Score the regressor on the test rows: R², mean absolute error, root mean square error."""
    predicted = regressor.predict(x_test)
    metrics = {
        "r2": round(float(r2_score(y_test, predicted)), 4),
        "mae": round(float(mean_absolute_error(y_test, predicted)), 2),
        "rmse": round(float(np.sqrt(np.mean((y_test - predicted) ** 2))), 2),
        "test_rows": len(y_test),
    }
    log.info(
        "%s: R² %.3f, mean absolute error %.2f on %d test rows",
        type(regressor).__name__,
        metrics["r2"],
        metrics["mae"],
        metrics["test_rows"],
    )
    return metrics


def plot_model_comparison(**metrics: dict[str, float]) -> Figure:
    """Draw each candidate's R² and mean absolute error side by side."""
    names = sorted(metrics)
    figure = Figure(figsize=(8, 3.5), layout="constrained")
    r2_axes, mae_axes = figure.subplots(1, 2)
    r2_axes.bar(names, [metrics[name]["r2"] for name in names], color="tab:blue")
    r2_axes.set_title("R² on test rows (higher is better)")
    r2_axes.set_ylim(0, 1)
    mae_axes.bar(names, [metrics[name]["mae"] for name in names], color="tab:orange")
    mae_axes.set_title("Mean absolute error (lower is better)")
    return figure
