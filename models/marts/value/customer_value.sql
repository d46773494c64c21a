{#- Each buyer's value (docs/value.md): historical CLV, the two simple predictive CLVs and the
    CLV band they give, and the BTYD summary that CLV libraries read. Built on every engine; the
    fitted models' predictions are in customer_value_predictions (DuckDB). -#}
with

customer_value as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        purchase_days,
        frequency,
        recency_days,
        age_days,
        recency,
        age,
        mean_repeat_value,
        average_purchase_value,
        purchases_per_year,
        historical_revenue,
        historical_profit,
        yearly_margin,
        retention_rate,
        expected_lifetime_years,
        simple_clv,
        retention_clv,
        clv_band
    from {{ ref('int_customer_value') }}
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(purchase_days as {{ dbt.type_int() }}) as purchase_days,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(age_days as {{ dbt.type_int() }}) as age_days,
        cast(recency as {{ tiering.type_double() }}) as recency,
        cast(age as {{ tiering.type_double() }}) as age,
        cast({{ tiering.setting('btyd_time_unit_days') }} as {{ dbt.type_int() }}) as time_unit_days,
        cast(mean_repeat_value as {{ dbt.type_numeric() }}) as mean_repeat_value,
        cast(average_purchase_value as {{ dbt.type_numeric() }}) as average_purchase_value,
        cast(purchases_per_year as {{ tiering.type_double() }}) as purchases_per_year,
        cast(historical_revenue as {{ dbt.type_numeric() }}) as historical_clv,
        cast(historical_profit as {{ dbt.type_numeric() }}) as historical_profit,
        cast(yearly_margin as {{ dbt.type_numeric() }}) as yearly_margin,
        cast(retention_rate as {{ tiering.type_double() }}) as retention_rate,
        cast(expected_lifetime_years as {{ tiering.type_double() }}) as expected_lifetime_years,
        cast(simple_clv as {{ dbt.type_numeric() }}) as simple_clv,
        cast(retention_clv as {{ dbt.type_numeric() }}) as retention_clv,
        cast(clv_band as {{ dbt.type_string() }}) as clv_band
    from customer_value
)

select * from final
