"""Nodes that turn the raw tables into typed, joined tables."""

import pandas as pd


def _is_true(flags: pd.Series) -> pd.Series:
    return flags.astype(str).str.lower().eq("t")


def parse_percentage(values: pd.Series) -> pd.Series:
    """``"87%"`` -> ``0.87``."""
    return values.astype(str).str.rstrip("%").astype(float) / 100.0


def parse_money(values: pd.Series) -> pd.Series:
    """``"$12,400.00"`` -> ``12400.0``."""
    return values.astype(str).str.replace(r"[$,]", "", regex=True).astype(float)


def clean_companies(companies: pd.DataFrame) -> pd.DataFrame:
    """Give the companies a numeric rating and a boolean approval flag."""
    return companies.assign(
        company_rating=parse_percentage(companies["company_rating"]),
        iata_approved=_is_true(companies["iata_approved"]),
    )


def clean_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Give the shuttles a numeric price and a boolean safety flag."""
    return shuttles.assign(
        price=parse_money(shuttles["price"]),
        safety_checked=_is_true(shuttles["safety_checked"]),
    )


def join_listings(
    shuttles: pd.DataFrame, companies: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """One row per shuttle, with its company's columns and its reviews (possibly missing)."""
    with_company = shuttles.merge(companies, on="company_id", how="left", validate="m:1")
    return with_company.merge(reviews, on="shuttle_id", how="left", validate="1:1")


def build_model_input(listings: pd.DataFrame) -> pd.DataFrame:
    """Keep the numeric and boolean columns of the complete rows: the features and price."""
    numeric = listings.select_dtypes(include=["number", "bool"])
    return numeric.dropna().reset_index(drop=True)
