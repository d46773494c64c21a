"""The value models (customer_tiering/clv.py): the published CDNOW parameters, and p_alive and
expected purchases against an independent computation of the same Bayesian quantities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from customer_tiering import clv, value_models

CDNOW = (
    Path(__file__).parents[1]
    / "fixtures"
    / "cdnow"
    / "cdnow_customers_summary_with_transactions.csv"
)
# Fader, Hardie and Lee (2005): BG/NBD on the 2,357 customers, Gamma-Gamma on the 946 repeaters.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
TOLERANCE = 0.005


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def _arrays(*values: float) -> list[np.ndarray]:
    return [np.array([float(v)]) for v in values]


def test_bgnbd_reproduces_the_published_cdnow_parameters(cdnow: pd.DataFrame) -> None:
    fit = clv.fit_bgnbd(
        cdnow["x"].to_numpy(float), cdnow["t_x"].to_numpy(float), cdnow["T"].to_numpy(float)
    )
    assert fit.customers == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert fit.params[name] == pytest.approx(published, rel=TOLERANCE), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(cdnow: pd.DataFrame) -> None:
    fit = clv.fit_gamma_gamma(cdnow["x"].to_numpy(float), cdnow["zbar"].to_numpy(float))
    assert fit.customers == 946
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert fit.params[name] == pytest.approx(published, rel=TOLERANCE), name


def _posterior(
    params: dict[str, float], x: int, t_x: float, age: float, horizon: float
) -> tuple[float, float]:
    """P(alive) and expected purchases in `horizon` of a customer (x, t_x, T), by integrating
    the BG/NBD posterior: the purchase rate integrated in closed form (gamma integrals), the
    dropout probability numerically. Independent of the model's 2F1 formula (FHL 2005, eq. 10).
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    scale = np.exp(special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha))

    def prior(p: float) -> float:
        return float(stats.beta.pdf(p, a, b))

    def alive(p: float) -> float:
        return (1 - p) ** x * prior(p) * scale * (alpha + age) ** -(r + x)

    def dropped(p: float) -> float:
        return p * (1 - p) ** (x - 1) * prior(p) * scale * (alpha + t_x) ** -(r + x)

    def future(p: float) -> float:
        # Alive, a customer with rate lambda buys (1 - exp(-lambda p t)) / p times before dropping.
        bought = (alpha + age) ** -(r + x) - (alpha + age + p * horizon) ** -(r + x)
        return (1 - p) ** x * prior(p) * scale * bought / p

    def area(function: object) -> float:
        return integrate.quad(function, 0, 1, epsabs=0, epsrel=1e-10, limit=200)[0]  # type: ignore[arg-type]

    evidence = area(alive) + (area(dropped) if x > 0 else 0.0)
    return area(alive) / evidence, area(future) / evidence


@pytest.mark.parametrize(
    ("x", "t_x", "age", "horizon"),
    [(2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 39.0), (1, 5.0, 30.0, 10.0), (10, 30.0, 32.0, 52.0)],
)
def test_p_alive_and_expected_purchases_equal_the_posterior_integrals(
    x: int, t_x: float, age: float, horizon: float
) -> None:
    params = {"r": 0.2425929, "alpha": 4.413531, "a": 0.792888, "b": 2.425761}
    want_alive, want_purchases = _posterior(params, x, t_x, age, horizon)
    frequency, recency, t = _arrays(x, t_x, age)
    assert clv.p_alive(params, frequency, recency, t)[0] == pytest.approx(want_alive, rel=1e-8)
    assert clv.expected_purchases(params, horizon, frequency, recency, t)[0] == pytest.approx(
        want_purchases, rel=1e-8
    )


def test_hand_computed_cases() -> None:
    # P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)):
    # with r = alpha = a = b = 1, x = 1, t_x = 1, T = 2: 1 / (1 + (3 / 2) ** 2) = 4 / 13.
    ones = {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}
    assert clv.p_alive(ones, *_arrays(1, 1, 2))[0] == pytest.approx(4 / 13, rel=1e-12)
    # No repeat purchase: alive for sure.
    assert clv.p_alive(ones, *_arrays(0, 0, 5))[0] == 1.0
    # The paper's example: 2 repeat purchases, the last at 30.43 of 38.86 weeks, expects 1.226
    # purchases in the next 39 weeks (FHL 2005).
    paper = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert clv.expected_purchases(paper, 39.0, *_arrays(2, 30.43, 38.86))[0] == pytest.approx(
        1.226, abs=0.001
    )
    # Gamma-Gamma: p (gamma + x m) / (p x + q - 1) = 6 (15 + 2 x 20) / (12 + 4 - 1) = 22; without a
    # repeat purchase the population mean p gamma / (q - 1) = 30.
    spend = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    value = clv.expected_mean_value(spend, np.array([2.0, 0.0]), np.array([20.0, 0.0]))
    assert value.tolist() == pytest.approx([22.0, 30.0], rel=1e-12)


def test_discounted_value_is_the_sum_of_monthly_purchases_times_their_value() -> None:
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    spend = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    x, t_x, age, m = _arrays(3, 20, 30, 25)
    month = 365 / 12 / 7
    value = clv.expected_mean_value(spend, x, m)[0]
    cumulative = [clv.expected_purchases(params, k * month, x, t_x, age)[0] for k in (1, 2)]
    want = value * (cumulative[0] / 1.01 + (cumulative[1] - cumulative[0]) / 1.01**2)
    got = clv.discounted_value(
        params, spend, x, t_x, age, m, months=2, month_units=month, monthly_discount=0.01
    )[0]
    assert got == pytest.approx(want, rel=1e-12)


def test_a_fit_that_cannot_work_fails_loudly_and_predicts_nothing() -> None:
    summary = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "as_of_date": pd.to_datetime(["2024-06-30", "2024-06-30"]),
            "frequency": [0, 0],
            "recency": [0.0, 0.0],
            "age": [3.0, 5.0],
            "mean_repeat_value": [0.0, 0.0],
        }
    )
    with pytest.raises(clv.FitError, match="no customer made a repeat purchase"):
        clv.fit_bgnbd(*(summary[c].to_numpy(float) for c in ("frequency", "recency", "age")))
    parameters = value_models.fit_parameters(summary, 7)
    assert not parameters["converged"].any()
    assert parameters["parameter_value"].isna().all()
    assert parameters["failure_reason"].str.contains("repeat purchase").all()
    predicted = value_models.predictions(
        summary,
        parameters,
        time_unit_days=7,
        horizon_days=90,
        prediction_months=12,
        discount_rate=0.1,
    )
    assert predicted[["p_alive", "expected_purchases", "predicted_clv"]].isna().all().all()


def _stopping_abnormally(monkeypatch: pytest.MonkeyPatch, at: np.ndarray | None) -> None:
    """Make L-BFGS-B end with ABNORMAL (its line search found no better point) where it really
    stops, or at the log parameters `at`."""
    minimize = clv.optimize.minimize

    def abnormal(*args: object, **kwargs: object) -> object:
        result = minimize(*args, **kwargs)  # type: ignore[arg-type]
        if at is not None:
            result.x = at
        result.success, result.message = False, "ABNORMAL: "
        return result

    monkeypatch.setattr(clv.optimize, "minimize", abnormal)


def test_an_abnormal_stop_at_the_maximum_is_a_fit(
    cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = clv.fit_gamma_gamma(cdnow["x"].to_numpy(float), cdnow["zbar"].to_numpy(float))
    _stopping_abnormally(monkeypatch, at=None)
    fit = clv.fit_gamma_gamma(cdnow["x"].to_numpy(float), cdnow["zbar"].to_numpy(float))
    assert fit.params == pytest.approx(expected.params)


def test_an_abnormal_stop_away_from_the_maximum_fails(
    cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stopping_abnormally(monkeypatch, at=np.zeros(3))
    with pytest.raises(clv.FitError, match="not at a maximum"):
        clv.fit_gamma_gamma(cdnow["x"].to_numpy(float), cdnow["zbar"].to_numpy(float))
