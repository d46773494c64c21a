{#- A table: the RFM scores, the pyramid and the tests of all three read it, so the one
    aggregation over every transaction runs once per build instead of once per reader. Built
    after base_transaction_reject_counts (the reference below), whose post-hook and tests stop
    the run when the input holds nothing useful or too many rejects: no customer table is
    replaced before they pass. #}
-- depends_on: {{ ref('base_transaction_reject_counts') }}
{{ config(materialized='table') }}
{%- set lifecycle_period_days = tiering.setting('lifecycle_period_days') %}

with

-- Not materialized (on the engines that would): every reader below scans the transactions
-- itself. Shared, the scans of the as-of date and of the grouping took 16 s per 100 M rows
-- instead of 11 s on DuckDB.
transaction_lines as {{ tiering.materialization_hint('not materialized') }} (
    select
        transaction_id,
        customer_id,
        transaction_date,
        amount,
        cost
    from {{ ref('stg_transactions') }}
),

-- Order lines sharing a transaction id are one transaction (transaction_grain: line). Under the
-- default grain a transaction id is already unique (the duplicate rule), so the lines are taken
-- as they are: grouping 100 M ids by themselves would cost three times the rest of the model.
transactions as {{ tiering.materialization_hint('not materialized') }} (
    select
        customer_id,
        transaction_id,
        transaction_date,
    {%- if tiering.setting('transaction_grain') == 'line' %}
        sum(amount) as amount,
        sum(cost) as cost
    from transaction_lines
    group by customer_id, transaction_id, transaction_date
    {%- else %}
        amount,
        cost
    from transaction_lines
    {%- endif %}
),

as_of_day as (
    {{ tiering.as_of_date('transactions', tiering.setting('as_of_date')) }}
),

-- The floors of the RFM window and of the lifecycle's two periods are computed once here, so each
-- transaction is tested with comparisons of two dates (macro is_in_rfm_window).
as_of as (
    select
        as_of_date,
        {{ tiering.rfm_window_floor('as_of_date', tiering.setting('rfm_window_days')) }} as window_floor,
        {{ tiering.rfm_window_floor('as_of_date', lifecycle_period_days) }} as recent_period_floor,
        {{ tiering.rfm_window_floor('as_of_date', 2 * lifecycle_period_days) }} as previous_period_floor
    from as_of_day
),

transactions_to_date as (
    select
        transactions.customer_id,
        transactions.transaction_date,
        transactions.amount,
        transactions.cost,
        transactions.amount > 0 as is_purchase,
        {{ tiering.is_in_rfm_window(
            'transactions.transaction_date', 'as_of.as_of_date', tiering.setting('rfm_window_days'),
            window_floor='as_of.window_floor') }} as is_in_window,
        transactions.transaction_date > as_of.recent_period_floor as is_recent,
        transactions.transaction_date > as_of.previous_period_floor
        and transactions.transaction_date <= as_of.recent_period_floor as is_previous
    from transactions
    cross join as_of
    where transactions.transaction_date <= as_of.as_of_date
),

-- Grouped by customer alone: the as-of date is one value, joined after the grouping (a second
-- grouping key costs the grouping half its time again). Materialized: cost_coverage reads it too.
customer_totals as {{ tiering.materialization_hint('materialized') }} (
    select
        customer_id,
        min(case when is_purchase then transaction_date end) as first_purchase_date,
        max(case when is_purchase then transaction_date end) as last_purchase_date,
        sum(case when is_purchase and is_in_window then 1 else 0 end) as frequency,
        sum(case when is_in_window then amount else 0 end) as monetary,
        sum(case when is_in_window then amount - coalesce(cost, 0) else 0 end) as profit,
        sum(amount) as lifetime_revenue,
        sum(case when is_purchase then 1 else 0 end) as lifetime_purchases,
        sum(case when is_recent then amount else 0 end) as recent_spend,
        sum(case when is_recent and is_purchase then 1 else 0 end) as recent_purchases,
        sum(case when is_previous then amount else 0 end) as previous_spend,
        sum(case when is_previous and is_purchase then 1 else 0 end) as previous_purchases,
        count(cost) as rows_with_cost
    from transactions_to_date
    group by customer_id
),

-- Profit is known when some transaction up to the as-of date has a cost. Counted in the grouping
-- above: a scan of its own re-ran the view chain of every transaction (5 s per 100 M rows).
cost_coverage as (
    select sum(rows_with_cost) > 0 as has_cost from customer_totals
),

final as (
    select
        customer_totals.customer_id,
        as_of.as_of_date,
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        cast(
            {{ dbt.datediff(
                'customer_totals.last_purchase_date', 'as_of.as_of_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as recency_days,
        cast(customer_totals.frequency as {{ dbt.type_int() }}) as frequency,
        cast(customer_totals.monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(
            case when cost_coverage.has_cost then customer_totals.profit end
            as {{ dbt.type_numeric() }}
        ) as profit,
        cast(customer_totals.lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        cast(
            {{ dbt.datediff(
                'customer_totals.first_purchase_date', 'as_of.as_of_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as tenure_days,
        cast(customer_totals.lifetime_purchases as {{ dbt.type_int() }}) as lifetime_purchases,
        cast(customer_totals.recent_spend as {{ dbt.type_numeric() }}) as recent_spend,
        cast(customer_totals.recent_purchases as {{ dbt.type_int() }}) as recent_purchases,
        cast(customer_totals.previous_spend as {{ dbt.type_numeric() }}) as previous_spend,
        cast(customer_totals.previous_purchases as {{ dbt.type_int() }}) as previous_purchases
    from customer_totals
    cross join as_of
    cross join cost_coverage
)

select * from final
