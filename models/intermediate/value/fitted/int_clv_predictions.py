"""Each buyer's p_alive, expected purchases and predicted CLV from the fitted models
(int_clv_fit; docs/value.md); null where a model did not converge."""

from customer_tiering import value_models


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    summary = dbt.ref("int_customer_value").df()
    parameters = dbt.ref("int_clv_fit").df()
    return value_models.predictions(
        summary,
        parameters,
        time_unit_days=int(settings["btyd_time_unit_days"]),
        horizon_days=int(settings["clv_horizon_days"]),
        prediction_months=int(settings["clv_prediction_months"]),
        discount_rate=float(settings["clv_discount_rate"]),
    )
