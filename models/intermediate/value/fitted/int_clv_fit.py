"""BG/NBD and Gamma-Gamma fitted on the BTYD summary of every buyer (docs/value.md): one row per
parameter, with the fit's log-likelihood and whether it converged (customer_tiering.value_models).
"""

from customer_tiering import value_models


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    summary = dbt.ref("int_customer_value").df()
    return value_models.fit_parameters(summary, int(settings["btyd_time_unit_days"]))
