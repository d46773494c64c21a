"""Buy-till-you-die models of customer value, fitted by maximum likelihood with SciPy.

* BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way") for the purchase
  process: parameters r, alpha (purchase rate) and a, b (dropout).
* Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV") for the value of a purchase: p, q,
  gamma (``v`` in lifetimes).

Inputs are the BTYD summary of each customer (model int_customer_value): ``frequency`` (repeat
purchase days), ``recency`` (age at the last purchase) and ``T`` (age), in one time unit, and the
mean value of the repeat purchase days. Customers with the same summary are fitted once, with a
weight, so 1 M customers cost what their distinct summaries cost.

A fit either converges (the optimizer says so, the gradient is flat and every parameter is
finite and positive) or raises FitError with the reason: callers publish a failed fit as failed,
never its parameters. DECISIONS.md says why this is not lifetimes or pymc-marketing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

Array = npt.NDArray[np.float64]

# The optimizer works on log parameters, from log 1 (each parameter 1) as lifetimes does.
_GRADIENT_TOLERANCE = 1e-4
_MAX_ITERATIONS = 2_000


class FitError(RuntimeError):
    """The model could not be fitted to these customers (the message says why)."""


@dataclass(frozen=True)
class Fit:
    """Fitted parameters (by name), the log-likelihood at them and what was fitted."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    customers: int
    iterations: int


def _distinct(columns: list[Array]) -> tuple[list[Array], Array]:
    """The distinct rows of `columns` and how many customers hold each."""
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(np.float64)


def _minimize(
    model: str,
    names: tuple[str, ...],
    negative_ll: object,
    customers: int,
) -> Fit:
    """Maximize the log-likelihood over the log parameters; raise FitError unless it converged."""
    result = optimize.minimize(
        negative_ll,  # type: ignore[arg-type]
        x0=np.zeros(len(names)),
        method="L-BFGS-B",
        options={"maxiter": _MAX_ITERATIONS, "gtol": 1e-9, "ftol": 1e-14},
    )
    params = np.exp(result.x)
    gradient = optimize.approx_fprime(result.x, negative_ll, 1e-7)  # type: ignore[arg-type]
    # L-BFGS-B ends with ABNORMAL when its line search cannot improve on a point that is already
    # the maximum up to the noise of the finite-difference gradient (the fixture data of the
    # tests does that to Gamma-Gamma); the gradient check below decides then.
    if not result.success and not str(result.message).startswith("ABNORMAL"):
        raise FitError(f"{model}: the optimizer did not converge ({result.message})")
    if not np.all(np.isfinite(params)) or np.any(params <= 0):
        raise FitError(f"{model}: a parameter is not a finite positive number ({params})")
    if np.max(np.abs(gradient)) > _GRADIENT_TOLERANCE:
        raise FitError(
            f"{model}: the likelihood is not at a maximum (gradient {np.max(np.abs(gradient)):.2g})"
        )
    return Fit(
        model=model,
        params=dict(zip(names, (float(p) for p in params), strict=True)),
        log_likelihood=float(-result.fun * customers),
        customers=customers,
        iterations=int(result.nit),
    )


# ---------------------------------------------------------------- BG/NBD


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float], frequency: Array, recency: Array, age: Array
) -> Array:
    """Log-likelihood of each customer's (x, t_x, T) under BG/NBD (FHL 2005, equation 6)."""
    r, alpha, a, b = params
    x, t_x, t = frequency, recency, age
    common = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    alive = -(r + x) * np.log(alpha + t)
    dropped = np.where(
        x > 0,
        np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(alive, dropped)


def fit_bgnbd(frequency: Array, recency: Array, age: Array) -> Fit:
    """Maximum-likelihood BG/NBD parameters r, alpha, a, b of these customers."""
    _check_summary(frequency, recency, age)
    (x, t_x, t), weights = _distinct([frequency, recency, age])
    total = float(weights.sum())

    def negative_ll(log_params: Array) -> float:
        params = tuple(np.exp(log_params))
        ll = bgnbd_log_likelihood(params, x, t_x, t)  # type: ignore[arg-type]
        return float(-(weights * ll).sum() / total)

    if not np.any(frequency > 0):
        raise FitError("BG/NBD: no customer made a repeat purchase, so dropout cannot be fitted")
    return _minimize("bg_nbd", ("r", "alpha", "a", "b"), negative_ll, len(frequency))


def p_alive(params: dict[str, float], frequency: Array, recency: Array, age: Array) -> Array:
    """Probability that each customer is still active (BG/NBD; 1 without a repeat purchase)."""
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    x = frequency
    log_ratio = (r + x) * np.log((alpha + age) / (alpha + recency)) + np.log(
        a / (b + np.maximum(x, 1) - 1)
    )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def expected_purchases(
    params: dict[str, float], horizon: float, frequency: Array, recency: Array, age: Array
) -> Array:
    """Expected purchases of each customer in the next `horizon` time units (FHL 2005, eq. 10)."""
    r, alpha, a, b = (params[name] for name in ("r", "alpha", "a", "b"))
    x = frequency
    big_a, big_b, big_c = r + x, b + x, a + b + x - 1
    z = horizon / (alpha + age + horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_hyp = np.log(special.hyp2f1(big_a, big_b, big_c, z))
        # Euler's transformation where the series overflows (same value, other form).
        log_hyp_alt = np.log(special.hyp2f1(big_c - big_a, big_c - big_b, big_c, z)) + (
            big_c - big_a - big_b
        ) * np.log1p(-z)
    log_hyp = np.where(np.isfinite(log_hyp), log_hyp, log_hyp_alt)
    first = (a + b + x - 1) / (a - 1)
    second = -np.expm1(log_hyp + (r + x) * np.log((alpha + age) / (alpha + age + horizon)))
    denominator = 1 + (x > 0) * (a / (b + np.maximum(x, 1) - 1)) * (
        (alpha + age) / (alpha + recency)
    ) ** (r + x)
    return first * second / denominator


# ---------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float], frequency: Array, mean_value: Array
) -> Array:
    """Log-likelihood of each repeat customer's mean purchase value under Gamma-Gamma."""
    p, q, gamma = params
    x, m = frequency, mean_value
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + gamma)
    )


def fit_gamma_gamma(frequency: Array, mean_value: Array) -> Fit:
    """Maximum-likelihood Gamma-Gamma parameters p, q, gamma of the repeat customers."""
    repeat = frequency > 0
    x, m = frequency[repeat], mean_value[repeat]
    if len(x) < 2:
        raise FitError("Gamma-Gamma: fewer than 2 customers made a repeat purchase")
    if np.any(m <= 0) or not np.all(np.isfinite(m)):
        raise FitError("Gamma-Gamma: a repeat customer's mean purchase value is not positive")
    (x, m), weights = _distinct([x, m])
    total = float(weights.sum())

    def negative_ll(log_params: Array) -> float:
        params = tuple(np.exp(log_params))
        ll = gamma_gamma_log_likelihood(params, x, m)  # type: ignore[arg-type]
        return float(-(weights * ll).sum() / total)

    return _minimize("gamma_gamma", ("p", "q", "gamma"), negative_ll, int(total))


def expected_mean_value(params: dict[str, float], frequency: Array, mean_value: Array) -> Array:
    """Expected value of each customer's future purchases (Gamma-Gamma conditional mean); the
    population mean for a customer without a repeat purchase."""
    p, q, gamma = (params[name] for name in ("p", "q", "gamma"))
    x = frequency
    m = np.where(x > 0, mean_value, 0.0)
    return (p * (gamma + x * m)) / (p * x + q - 1)


def discounted_value(
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float],
    frequency: Array,
    recency: Array,
    age: Array,
    mean_value: Array,
    *,
    months: int,
    month_units: float,
    monthly_discount: float,
) -> Array:
    """Predicted value of each customer over the next `months` months (month = `month_units` time
    units): the purchases expected in each month times the expected purchase value, discounted
    at `monthly_discount` per month, as lifetimes' customer_lifetime_value computes it."""
    value = expected_mean_value(gamma_gamma, frequency, mean_value)
    total = np.zeros_like(value)
    previous = np.zeros_like(value)
    for month in range(1, months + 1):
        cumulative = expected_purchases(bgnbd, month * month_units, frequency, recency, age)
        total += value * (cumulative - previous) / (1 + monthly_discount) ** month
        previous = cumulative
    return total


def _check_summary(frequency: Array, recency: Array, age: Array) -> None:
    if len(frequency) == 0:
        raise FitError("BG/NBD: no customer to fit")
    if np.any(frequency < 0) or np.any(recency < 0) or np.any(recency > age):
        raise FitError("BG/NBD: a summary has frequency < 0, recency < 0 or recency > age")
