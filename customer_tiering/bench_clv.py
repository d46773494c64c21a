"""Benchmark of the value models' fit against the CLV libraries, on the same BTYD summary.

    python -m customer_tiering.bench_clv --duckdb DATABASE [--peers-python .venv-peers/bin/python]

Reads every buyer's BTYD summary (marts.customer_value: frequency, recency, age, mean repeat
value), then fits BG/NBD and Gamma-Gamma and scores every customer (p_alive, expected purchases
over 90 days) with each contender, one process each, one after the other: this project
(customer_tiering.clv, the baseline) and, with an interpreter that has them (make bench-clv
installs requirements-peers.txt), lifetimes, pymc-marketing (maximum a posteriori with flat
priors, i.e. maximum likelihood) and clvkit. Prints a table: wall time, peak memory, fitted
parameters, whether each converged, and the time as a ratio to the baseline measured in the same
run. Not part of make test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

CONTENDERS = ("customer_tiering", "lifetimes", "pymc-marketing", "clvkit")
HORIZON_DAYS = 90

# Each contender fits and scores the summary in `df` (columns frequency, recency, T,
# monetary_value, customer_id) and sets `result` (parameters and how it knows it converged).
FITS = {
    "customer_tiering": """
from customer_tiering import clv
x, t_x, t, m = (df[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
bg = clv.fit_bgnbd(x, t_x, t)
gg = clv.fit_gamma_gamma(x, m)
alive = clv.p_alive(bg.params, x, t_x, t)
purchases = clv.expected_purchases(bg.params, horizon, x, t_x, t)
value = clv.expected_mean_value(gg.params, x, m)
result = {**bg.params, **gg.params, "converged": True}
""",
    "lifetimes": """
from lifetimes import BetaGeoFitter, GammaGammaFitter
bgf = BetaGeoFitter().fit(df["frequency"], df["recency"], df["T"])  # raises unless converged
rep = df[df["frequency"] > 0]
ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
alive = bgf.conditional_probability_alive(df["frequency"], df["recency"], df["T"])
purchases = bgf.conditional_expected_number_of_purchases_up_to_time(
    horizon, df["frequency"], df["recency"], df["T"])
value = ggf.conditional_expected_average_profit(df["frequency"], df["monetary_value"])
result = {**bgf.params_.to_dict(), "p": ggf.params_["p"], "q": ggf.params_["q"],
          "gamma": ggf.params_["v"], "converged": True}
""",
    "pymc-marketing": """
import pymc.tuning.starting as starting
from pymc_extras.prior import Prior
from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
results = []
minimize = starting.minimize
def recorded(*args, **kwargs):
    results.append(minimize(*args, **kwargs))
    return results[-1]
starting.minimize = recorded
bgm = BetaGeoModel(model_config={k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")})
bgm.build_model(df[["customer_id", "frequency", "recency", "T"]])
bgm.fit(method="map", progressbar=False)
ggm = GammaGammaModel()
rep = df[df["frequency"] > 0]
ggm.build_model(rep[["customer_id", "frequency", "monetary_value"]])
ggm.fit(method="map", progressbar=False)
alive = bgm.expected_probability_alive()
purchases = bgm.expected_purchases(future_t=horizon)
value = ggm.expected_customer_spend(df[["customer_id", "frequency", "monetary_value"]])
point = lambda fit, k: float(fit[k].values.ravel()[0])
result = {**{k: point(bgm.fit_result, k) for k in ("r", "alpha", "a", "b")},
          "p": point(ggm.fit_result, "p"), "q": point(ggm.fit_result, "q"),
          "gamma": point(ggm.fit_result, "v"), "converged": all(r.success for r in results)}
""",
    "clvkit": """
import clvkit.clv.bgnbd as bgnbd_module
from clvkit import BGNBD, CustomerBase, GammaGamma
results = []
minimize = bgnbd_module.minimize
def recorded(*args, **kwargs):
    results.append(minimize(*args, **kwargs))
    return results[-1]
bgnbd_module.minimize = recorded
base = CustomerBase(df.set_index("customer_id")[["frequency", "recency", "T", "monetary_value"]],
                    time_unit="W", observation_period_end=pd.Timestamp("2000-01-01"),
                    has_monetary=True, on_negative="net")
bgm = BGNBD().fit(base)
ggm = GammaGamma().fit(base)  # raises unless converged
alive = bgm.probability_alive()
purchases = bgm.predict(horizon)
value = ggm.predict()
result = {**{k: float(bgm.params_[k]) for k in ("r", "alpha", "a", "b")},
          **{k: float(ggm.params_[k]) for k in ("p", "q", "gamma")},
          "converged": all(r.success for r in results)}
""",
}

RUNNER = """
import json, sys, time, warnings
import pandas as pd
warnings.simplefilter("ignore")
df = pd.read_csv(sys.argv[1], dtype={"customer_id": str})
horizon = float(sys.argv[2])
started = time.perf_counter()
exec(sys.argv[3])
seconds = time.perf_counter() - started
# The peak memory of this program since exec (Linux; ru_maxrss would count the parent's pages that
# the fork copied before exec).
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mb": int(peak.split()[1]) / 1024,
    **{k: (v if isinstance(v, bool) else float(v)) for k, v in result.items()}}))
"""


def read_summary(database: Path) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(
            "select customer_id, frequency, recency, age as T, mean_repeat_value as monetary_value,"
            " any_value(time_unit_days) over () as time_unit_days"
            " from marts.customer_value order by customer_id"
        ).df()


def run_contender(name: str, python: str, summary: Path, horizon: float) -> dict[str, Any]:
    """One contender in its own process: its wall time (imports included), the fit and score
    time and peak memory it reports, its parameters and convergence, or its error."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "-c", RUNNER, str(summary), str(horizon), FITS[name]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    stdout, stderr = process.communicate()
    row: dict[str, Any] = {"contender": name, "wall_seconds": time.perf_counter() - started}
    if process.returncode != 0:
        return {**row, "error": (stderr.strip().splitlines() or ["failed"])[-1]}
    return {**row, **json.loads(stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", type=Path, required=True, help="a built project database")
    parser.add_argument("--peers-python", help="an interpreter with the CLV libraries")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    args = parser.parse_args(argv)
    summary = read_summary(args.duckdb)
    horizon = HORIZON_DAYS / float(summary["time_unit_days"].iloc[0])
    print(f"{len(summary):,} customers, {int((summary['frequency'] > 0).sum()):,} repeat buyers")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.csv"
        summary.drop(columns="time_unit_days").to_csv(path, index=False)
        for name in args.contenders.split(","):
            python = sys.executable if name == "customer_tiering" else args.peers_python
            if python is None:
                continue
            rows.append(run_contender(name, python, path, horizon))
            print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    baseline = table.loc[table["contender"] == "customer_tiering", "wall_seconds"]
    if len(baseline):
        table["wall_ratio"] = table["wall_seconds"] / float(baseline.iloc[0])
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(4).to_string(index=False))
    return 0 if "error" not in table or table["error"].isna().all() else 1


if __name__ == "__main__":
    sys.exit(main())
