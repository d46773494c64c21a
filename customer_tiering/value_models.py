"""The fitted value models of the dbt Python models (models/intermediate/value/fitted): the
tables they return, built from the BTYD summary (int_customer_value) with customer_tiering.clv.

Kept out of the model files so that pytest calls them directly, and each model file is a few lines
of dbt glue.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from customer_tiering import clv

PARAMETERS = {"bg_nbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}
DAYS_PER_MONTH = 365.0 / 12


def _summary_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return (
        summary["frequency"].to_numpy(dtype=np.float64),
        summary["recency"].to_numpy(dtype=np.float64),
        summary["age"].to_numpy(dtype=np.float64),
        summary["mean_repeat_value"].to_numpy(dtype=np.float64),
    )


def _fit_rows(
    model: str, fit: clv.Fit | None, error: str | None, customers: int
) -> list[dict[str, object]]:
    return [
        {
            "model_name": model,
            "parameter": name,
            "parameter_value": fit.params[name] if fit else None,
            "converged": fit is not None,
            "failure_reason": error,
            "log_likelihood": fit.log_likelihood if fit else None,
            "customers": fit.customers if fit else customers,
            "iterations": fit.iterations if fit else None,
        }
        for name in PARAMETERS[model]
    ]


def fit_parameters(summary: pd.DataFrame, time_unit_days: int) -> pd.DataFrame:
    """One row per parameter of BG/NBD and Gamma-Gamma fitted on `summary` (int_customer_value's
    columns). A fit that fails gives its rows with converged false, null values and the reason."""
    frequency, recency, age, mean_value = _summary_arrays(summary)
    rows: list[dict[str, object]] = []
    fits = {
        "bg_nbd": lambda: clv.fit_bgnbd(frequency, recency, age),
        "gamma_gamma": lambda: clv.fit_gamma_gamma(frequency, mean_value),
    }
    for model, fit_model in fits.items():
        try:
            rows += _fit_rows(model, fit_model(), None, len(summary))
        except clv.FitError as error:
            rows += _fit_rows(model, None, str(error), len(summary))
    table = pd.DataFrame(rows)
    table["as_of_date"] = summary["as_of_date"].max() if len(summary) else None
    table["time_unit_days"] = time_unit_days
    table["fitted_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return table


def _params(parameters: pd.DataFrame, model: str) -> dict[str, float] | None:
    rows = parameters[parameters["model_name"] == model]
    if rows.empty or not rows["converged"].all():
        return None
    return dict(zip(rows["parameter"], rows["parameter_value"].astype(float), strict=True))


def predictions(
    summary: pd.DataFrame,
    parameters: pd.DataFrame,
    *,
    time_unit_days: int,
    horizon_days: int,
    prediction_months: int,
    discount_rate: float,
) -> pd.DataFrame:
    """Per customer of `summary`: p_alive, expected purchases over `horizon_days` and a year, the
    expected value of a purchase and the predicted CLV over `prediction_months` months discounted
    at the yearly `discount_rate`. Null where a model did not converge."""
    frequency, recency, age, mean_value = _summary_arrays(summary)
    table = pd.DataFrame(
        {"customer_id": summary["customer_id"], "as_of_date": summary["as_of_date"]}
    )
    bgnbd, gamma_gamma = _params(parameters, "bg_nbd"), _params(parameters, "gamma_gamma")
    missing = np.full(len(summary), np.nan)
    table["p_alive"] = clv.p_alive(bgnbd, frequency, recency, age) if bgnbd else missing
    for column, days in (("expected_purchases", horizon_days), ("expected_purchases_year", 365)):
        table[column] = (
            clv.expected_purchases(bgnbd, days / time_unit_days, frequency, recency, age)
            if bgnbd
            else missing
        )
    table["expected_purchase_value"] = (
        clv.expected_mean_value(gamma_gamma, frequency, mean_value) if gamma_gamma else missing
    )
    table["predicted_clv"] = (
        clv.discounted_value(
            bgnbd,
            gamma_gamma,
            frequency,
            recency,
            age,
            mean_value,
            months=prediction_months,
            month_units=DAYS_PER_MONTH / time_unit_days,
            monthly_discount=(1 + discount_rate) ** (1 / 12) - 1,
        )
        if bgnbd and gamma_gamma
        else missing
    )
    table["horizon_days"] = horizon_days
    table["prediction_months"] = prediction_months
    return table
