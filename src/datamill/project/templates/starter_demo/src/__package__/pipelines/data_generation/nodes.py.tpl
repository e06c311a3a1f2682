"""Nodes that invent a small market of space shuttles for hire.

Each table is drawn from its own random generator, seeded from ``data_generation.seed``, so
the same parameters always give the same data. The tables are untidy on purpose, as raw data
usually is: prices are text such as ``"$12,400.00"``, ratings text such as ``"87%"``, yes/no
flags are ``"t"``/``"f"``, and some reviews are missing. ``data_processing`` cleans them.
"""

from typing import Any

import numpy as np
import pandas as pd

HOME_PORTS = ("Ceres", "Europa", "Ganymede", "Luna", "Mars", "Titan")
SHUTTLE_KINDS = ("courier", "cruiser", "freighter", "yacht")
ENGINE_KINDS = ("chemical", "ion", "plasma")
KIND_PREMIUM = {"courier": 0.0, "cruiser": 600.0, "freighter": 300.0, "yacht": 1200.0}


def _generator(options: dict[str, Any], table: int) -> np.random.Generator:
    # One independent stream per table: changing one table's size leaves the others alone.
    return np.random.default_rng([options["seed"], table])


def _flags(values: np.ndarray) -> list[str]:
    return ["t" if value else "f" for value in values]


def generate_companies(options: dict[str, Any]) -> pd.DataFrame:
    """Return the shuttle operators: id, rating (``"87%"``), home port, fleet size, approval."""
    rng = _generator(options, 1)
    count = options["companies"]
    return pd.DataFrame(
        {
            "company_id": [f"C{index:03d}" for index in range(count)],
            "company_rating": [f"{rating}%" for rating in rng.integers(40, 101, count)],
            "home_port": rng.choice(HOME_PORTS, count),
            "fleet_size": rng.integers(1, 30, count),
            "iata_approved": _flags(rng.random(count) < 0.6),
        }
    )


def generate_shuttles(companies: pd.DataFrame, options: dict[str, Any]) -> pd.DataFrame:
    """Return the shuttles for hire, each with its operator and a price per trip (as text)."""
    rng = _generator(options, 2)
    count = options["shuttles"]
    kinds = rng.choice(SHUTTLE_KINDS, count)
    engines = rng.integers(1, 5, count)
    capacity = rng.integers(2, 13, count)
    crew = np.maximum(1, capacity // 4 + rng.integers(0, 2, count))
    checked = rng.random(count) < 0.8
    owners = rng.integers(0, len(companies), count)
    rating = companies["company_rating"].str.rstrip("%").astype(float).to_numpy()[owners]
    price = (
        2000.0
        + 850.0 * capacity
        + 1200.0 * engines
        + 40.0 * rating
        + 1500.0 * checked
        + np.array([KIND_PREMIUM[kind] for kind in kinds])
        + rng.normal(0.0, 600.0, count)
    )
    return pd.DataFrame(
        {
            "shuttle_id": [f"S{index:04d}" for index in range(count)],
            "company_id": companies["company_id"].to_numpy()[owners],
            "shuttle_kind": kinds,
            "engine_kind": rng.choice(ENGINE_KINDS, count),
            "engines": engines,
            "passenger_capacity": capacity,
            "crew": crew,
            "safety_checked": _flags(checked),
            "price": [f"${value:,.2f}" for value in price],
        }
    )


def generate_reviews(shuttles: pd.DataFrame, options: dict[str, Any]) -> pd.DataFrame:
    """Return the travellers' reviews of each shuttle; a few shuttles have no score."""
    rng = _generator(options, 3)
    count = len(shuttles)
    capacity = shuttles["passenger_capacity"].to_numpy()
    score = np.clip(55.0 + 3.0 * capacity + rng.normal(0.0, 8.0, count), 0.0, 100.0).round(1)
    score[rng.random(count) < options["missing_review_share"]] = np.nan
    return pd.DataFrame(
        {
            "shuttle_id": shuttles["shuttle_id"],
            "review_score": score,
            "number_of_reviews": rng.poisson(25, count),
        }
    )
