{#- The value of each buyer as of the as-of date (docs/value.md): the BTYD summary that
    buy-till-you-die models and CLV libraries read, historical CLV, and the two simple predictive
    CLVs of the documents, with their inputs. One row per customer with a purchase on or before
    the as-of date. The rules are macros (macros/customer_value.sql). -#}
{{ config(materialized='table') }}
{%- set unit_days = tiering.setting('btyd_time_unit_days') %}
{%- set retention_var = tiering.setting('clv_retention_rate') %}

with

transaction_lines as (
    select
        transaction_id,
        customer_id,
        transaction_date,
        amount,
        cost
    from {{ ref('stg_transactions') }}
),

transactions as (
    {{ tiering.transactions_at_grain('transaction_lines') }}
),

-- The as-of date of the tiers (int_customer_metrics), and the last days before the past year and
-- the year before it.
as_of_day as (
    {{ tiering.as_of_date(
        ref('int_customer_metrics'), tiering.setting('as_of_date'), date_column='as_of_date'
    ) }}
),

as_of as (
    select
        as_of_date,
        {{ tiering.rfm_window_floor('as_of_date', 365) }} as year_floor,
        {{ tiering.rfm_window_floor('as_of_date', 730) }} as previous_year_floor
    from as_of_day
),

-- One row per customer and day with a clean transaction on or before the as-of date.
customer_days as (
    select
        transactions.customer_id,
        transactions.transaction_date,
        {{ tiering.purchase_day_measures() }}
    from transactions
    cross join as_of
    where transactions.transaction_date <= as_of.as_of_date
    group by transactions.customer_id, transactions.transaction_date
),

dated_days as (
    select
        customer_days.*,
        min(case when customer_days.purchases > 0 then customer_days.transaction_date end)
            over (partition by customer_days.customer_id) as first_purchase_date,
        customer_days.transaction_date > as_of.year_floor as is_past_year,
        customer_days.transaction_date > as_of.previous_year_floor
        and customer_days.transaction_date <= as_of.year_floor as is_previous_year
    from customer_days
    cross join as_of
),

customers as (
    select
        customer_id,
        {{ tiering.btyd_summary() }},
        sum(net_amount) as historical_revenue,
        sum(net_profit) as historical_profit,
        sum(rows_with_cost) as rows_with_cost,
        sum(case when is_past_year then net_amount else 0 end) as past_year_revenue,
        sum(case when is_past_year then net_profit else 0 end) as past_year_profit,
        max(case when is_past_year and purchases > 0 then 1 else 0 end) as bought_past_year,
        max(case when is_previous_year and purchases > 0 then 1 else 0 end) as bought_previous_year
    from dated_days
    group by customer_id
    having min(first_purchase_date) is not null
),

-- Yearly retention: the share of the buyers of the year before the past year who bought again
-- in the past year (or the var clv_retention_rate). Profit needs a cost on some transaction.
base_figures as (
    select
        {%- if retention_var is none %}
        {{ tiering.share_of(
            'sum(bought_previous_year * bought_past_year)', 'sum(bought_previous_year)') }}
        {%- else %}
        cast({{ tiering.decimal_literal(retention_var) }} as {{ tiering.type_double() }})
        {%- endif %} as retention_rate,
        sum(rows_with_cost) > 0 as has_cost
    from customers
),

measured as (
    select
        customers.customer_id,
        as_of.as_of_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        customers.purchase_days,
        customers.frequency,
        {{ tiering.days_to_as_of('customers.first_purchase_date', 'customers.last_purchase_date') }}
            as recency_days,
        {{ tiering.days_to_as_of('customers.first_purchase_date', 'as_of.as_of_date') }} as age_days,
        customers.mean_repeat_value,
        -- A double: a decimal divided by an integer is a double on DuckDB, exact on PostgreSQL and
        -- rounded to 6 decimals on Spark, whose error the CLV's factors would multiply.
        cast(customers.purchase_value as {{ tiering.type_double() }})
        / customers.purchase_days as average_value,
        customers.historical_revenue,
        case when base_figures.has_cost then customers.historical_profit end as historical_profit,
        case
            when base_figures.has_cost then customers.past_year_profit else customers.past_year_revenue
        end as yearly_margin,
        base_figures.retention_rate,
        {{ tiering.expected_lifetime_years(
            'base_figures.retention_rate', tiering.setting('clv_expected_lifetime_years')) }}
            as expected_lifetime_years
    from customers
    cross join as_of
    cross join base_figures
),

valued as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        purchase_days,
        frequency,
        recency_days,
        age_days,
        cast(recency_days as {{ tiering.type_double() }}) / {{ unit_days }} as recency,
        cast(age_days as {{ tiering.type_double() }}) / {{ unit_days }} as age,
        -- Decimals of the amounts' scale (a division's scale differs between engines); simple
        -- CLV is computed from the unrounded average.
        cast(mean_repeat_value as {{ dbt.type_numeric() }}) as mean_repeat_value,
        cast(average_value as {{ dbt.type_numeric() }}) as average_purchase_value,
        {{ tiering.purchases_per_year('purchase_days', 'age_days') }} as purchases_per_year,
        historical_revenue,
        historical_profit,
        yearly_margin,
        retention_rate,
        expected_lifetime_years,
        {{ tiering.simple_clv(
            'average_value',
            tiering.purchases_per_year('purchase_days', 'age_days'),
            'expected_lifetime_years',
        ) }} as simple_clv,
        {{ tiering.retention_clv('yearly_margin', 'retention_rate', tiering.setting('clv_discount_rate')) }}
            as retention_clv
    from measured
),

-- Bands by simple predictive CLV, ranked as the pyramid ranks (macro value_ranks).
clv_ranks as (
    {{ tiering.value_ranks('valued', 'simple_clv', 'desc') }}
),

final as (
    select
        valued.*,
        {{ tiering.clv_band('clv_ranks.value_rank', 'clv_ranks.partition_rows',
            tiering.setting('clv_band_cut_points')) }} as clv_band
    from valued
    left join clv_ranks
        on {{ tiering.value_ranks_join('valued', 'clv_ranks', 'simple_clv') }}
)

select * from final
