{#- Each buyer's predicted value from the fitted models (int_clv_predictions): probability of
    being alive, expected purchases, expected purchase value and predicted CLV, beside the
    historical and simple CLVs of customer_value. -#}
with

predictions as (
    select
        customer_id,
        p_alive,
        expected_purchases,
        expected_purchases_year,
        expected_purchase_value,
        predicted_clv,
        horizon_days,
        prediction_months
    from {{ ref('int_clv_predictions') }}
),

customer_value as (
    select
        customer_id,
        as_of_date,
        historical_clv,
        simple_clv,
        clv_band
    from {{ ref('customer_value') }}
),

final as (
    select
        cast(customer_value.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customer_value.as_of_date as date) as as_of_date,
        cast(predictions.p_alive as {{ tiering.type_double() }}) as p_alive,
        cast(predictions.expected_purchases as {{ tiering.type_double() }}) as expected_purchases,
        cast(predictions.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast(predictions.expected_purchases_year as {{ tiering.type_double() }}) as expected_purchases_year,
        cast(predictions.expected_purchase_value as {{ dbt.type_numeric() }}) as expected_purchase_value,
        cast(predictions.predicted_clv as {{ dbt.type_numeric() }}) as predicted_clv,
        cast(predictions.prediction_months as {{ dbt.type_int() }}) as prediction_months,
        cast(customer_value.historical_clv as {{ dbt.type_numeric() }}) as historical_clv,
        cast(customer_value.simple_clv as {{ dbt.type_numeric() }}) as simple_clv,
        cast(customer_value.clv_band as {{ dbt.type_string() }}) as clv_band
    from customer_value
    left join predictions
        on customer_value.customer_id = predictions.customer_id
)

select * from final
