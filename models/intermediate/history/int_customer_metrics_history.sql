{#- The measures of int_customer_metrics at every period end of int_period_ends, by the same
    macros (transaction_flags, customer_measures, days_to_as_of), plus each customer's revenue and
    purchases within the period (period_measures). At the as-of date it equals int_customer_metrics.

    Incremental (macro history_plan): a run computes the period ends whose transactions changed
    since the previous build (the as-of date's, any new one, and every one from the earliest day
    of a late row) and keeps the others; otherwise the pre-hook empties the table and every period
    end is computed again. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ tiering.empty_unless_updated(this, latest_run_only=true) }}",
    post_hook="{{ tiering.prune_period_ends(this, ['as_of_date']) }}",
) }}
{%- set lifecycle_period_days = tiering.setting('lifecycle_period_days') %}
{%- set plan = tiering.history_plan(this) %}

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

period_ends as (
    select
        as_of_date,
        period_start,
        previous_as_of_date,
        is_complete,
        {{ tiering.rfm_window_floor('as_of_date', tiering.setting('rfm_window_days')) }} as window_floor,
        {{ tiering.rfm_window_floor('as_of_date', lifecycle_period_days) }} as recent_period_floor,
        {{ tiering.rfm_window_floor('as_of_date', 2 * lifecycle_period_days) }} as previous_period_floor
    from {{ ref('int_period_ends') }}
    where {{ plan.period_ends }}
),

-- Each transaction once per period end on or after its day.
transactions_to_date as (
    select
        transactions.customer_id,
        period_ends.as_of_date,
        period_ends.period_start,
        transactions.transaction_date,
        transactions.amount,
        transactions.cost,
        {{ tiering.transaction_flags(
            'transactions.transaction_date', 'period_ends.as_of_date', 'period_ends.window_floor',
            'period_ends.recent_period_floor', 'period_ends.previous_period_floor',
            period_start='period_ends.period_start') }}
    from transactions
    inner join period_ends
        on transactions.transaction_date <= period_ends.as_of_date
),

customer_totals as (
    select
        customer_id,
        as_of_date,
        period_start,
        {{ tiering.customer_measures() }},
        {{ tiering.period_measures() }}
    from transactions_to_date
    group by customer_id, as_of_date, period_start
),

-- Profit is known at a period end when some transaction up to it has a cost.
cost_coverage as (
    select
        as_of_date,
        sum(rows_with_cost) > 0 as has_cost
    from customer_totals
    group by as_of_date
),

final as (
    select
        customer_totals.customer_id,
        customer_totals.as_of_date,
        customer_totals.period_start,
        period_ends.previous_as_of_date,
        period_ends.is_complete,
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        {{ tiering.days_to_as_of('customer_totals.last_purchase_date', 'customer_totals.as_of_date') }}
            as recency_days,
        cast(customer_totals.frequency as {{ dbt.type_int() }}) as frequency,
        cast(customer_totals.monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(
            case when cost_coverage.has_cost then customer_totals.profit end
            as {{ dbt.type_numeric() }}
        ) as profit,
        cast(customer_totals.lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        {{ tiering.days_to_as_of('customer_totals.first_purchase_date', 'customer_totals.as_of_date') }}
            as tenure_days,
        cast(customer_totals.lifetime_purchases as {{ dbt.type_int() }}) as lifetime_purchases,
        cast(customer_totals.recent_spend as {{ dbt.type_numeric() }}) as recent_spend,
        cast(customer_totals.recent_purchases as {{ dbt.type_int() }}) as recent_purchases,
        cast(customer_totals.previous_spend as {{ dbt.type_numeric() }}) as previous_spend,
        cast(customer_totals.previous_purchases as {{ dbt.type_int() }}) as previous_purchases,
        cast(customer_totals.period_revenue as {{ dbt.type_numeric() }}) as period_revenue,
        cast(customer_totals.period_purchases as {{ dbt.type_int() }}) as period_purchases,
        {{ tiering.run_timestamp() }} as computed_at,
        {{ tiering.string_literal(plan.state_version) }} as state_version
    from customer_totals
    inner join cost_coverage
        on customer_totals.as_of_date = cost_coverage.as_of_date
    inner join period_ends
        on customer_totals.as_of_date = period_ends.as_of_date
)

select * from final
