{#- The one aggregation over every transaction, kept as a table that the RFM scores, the pyramid
    and the tests of all three read. Built after base_transaction_reject_counts (the reference
    below), whose post-hook and tests stop the run when the input holds nothing useful or too many
    rejects: no customer table is replaced before they pass; and after base_transaction_copies,
    which an update reads.

    Incremental: updated rather than recomputed when an update is exact (macro metrics_plan). An
    update reads the customers of the previous build (read here before they change), adds the
    rows loaded since, adds or takes back the rows that crossed a period edge as the as-of date
    moved and takes back the rows a later copy outranks; it writes only the customers whose
    measures changed (delete+insert on customer_id), and its post-hook moves every other customer
    to the new as-of date. Otherwise the pre-hook empties the table and every customer is
    computed again. A night with one new daily file reads some 0.5 % of the transactions, and the
    table equals a full build's (tests/python/test_incremental.py). #}
-- depends_on: {{ ref('base_transaction_reject_counts') }}
-- depends_on: {{ ref('base_transaction_copies') }}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='customer_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ tiering.empty_unless_updated(this) }}",
    post_hook="{{ tiering.move_as_of_date(this) }}",
) }}
{%- set lifecycle_period_days = tiering.setting('lifecycle_period_days') %}
{%- set plan = tiering.metrics_plan(this) %}
{%- set is_update = plan.mode == 'update' %}

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
        cost,
        loaded_at
    from {{ ref('stg_transactions') }}
),

-- Order lines sharing a transaction id are one transaction (transaction_grain: line; macro
-- transactions_at_grain).
transactions as {{ tiering.materialization_hint('not materialized') }} (
    {{ tiering.transactions_at_grain('transaction_lines', extra_columns=['loaded_at']) }}
),
-- The CTEs of an update, then those of a full computation, unindented (sqlfluff would indent
-- the branch it renders).
-- noqa: disable=LT02
{%- if is_update %}

-- The customers as computed by the previous build.
previous as (
    select
        customer_id,
        first_purchase_date,
        last_purchase_date,
        frequency,
        monetary,
        profit,
        lifetime_revenue,
        lifetime_purchases,
        recent_spend,
        recent_purchases,
        previous_spend,
        previous_purchases
    from {{ this }}
),

-- The rows counted before that a copy loaded since outranks (the copy is of the same customer, day
-- and sign: macro metrics_plan): taken back below.
outranked as (
    {{ tiering.outranked_rows(ref('base_transaction_copies'), plan.computed_since) }}
),

as_of_day as (
    select {{ plan.as_of_date }} as as_of_date
),
{%- else %}

as_of_day as (
    {{ tiering.as_of_date('transactions', tiering.setting('as_of_date')) }}
),
{%- endif %}

-- The floors of the RFM window and of the lifecycle's two periods are computed once here, so each
-- transaction is tested with comparisons of two dates (macro is_in_rfm_window).
as_of as (
    select
        as_of_date,
        {{ tiering.rfm_window_floor('as_of_date', tiering.setting('rfm_window_days')) }} as window_floor,
        {{ tiering.rfm_window_floor('as_of_date', lifecycle_period_days) }} as recent_period_floor,
        {{ tiering.rfm_window_floor('as_of_date', 2 * lifecycle_period_days) }} as previous_period_floor
    {%- if is_update %},
        {{ plan.previous_as_of }} as previous_as_of_date,
        {{ tiering.rfm_window_floor(plan.previous_as_of, tiering.setting('rfm_window_days')) }}
            as previous_window_floor,
        {{ tiering.rfm_window_floor(plan.previous_as_of, lifecycle_period_days) }}
            as previous_recent_period_floor,
        {{ tiering.rfm_window_floor(plan.previous_as_of, 2 * lifecycle_period_days) }}
            as previous_previous_period_floor
    {%- endif %}
    from as_of_day
),
{%- if is_update %}

-- The rows whose part in their customer's measures changed: the new ones, and the earlier ones
-- dated in a period whose edge moved with the as-of date (into the history, out of the window,
-- from the recent period to the previous one, out of the previous one). The edges are constants,
-- so that the engine filters the rows as it scans them. Materialized: read twice below.
{%- set edges = [(plan.previous_as_of, plan.as_of_date)] %}
{%- for days in [tiering.setting('rfm_window_days'), lifecycle_period_days, 2 * lifecycle_period_days]
    if days is not none %}
{%- do edges.append((
    tiering.rfm_window_floor(plan.previous_as_of, days), tiering.rfm_window_floor(plan.as_of_date, days))) %}
{%- endfor %}
changed_transactions as {{ tiering.materialization_hint('materialized') }} (
    select
        customer_id,
        transaction_date,
        amount,
        cost,
        true as is_new
    from transactions
    where loaded_at > {{ plan.computed_since }}
    union all
    select
        customer_id,
        transaction_date,
        amount,
        cost,
        false as is_new
    from transactions
    where
        loaded_at <= {{ plan.computed_since }}
        and (
        {%- for before, now in edges %}
            {% if not loop.first %}or {% endif %}(
                transaction_date > {{ before }}
                and transaction_date <= {{ now }}
            )
        {%- endfor %}
        )
),

-- The rows as they counted before: the earlier of the changed rows, and the outranked rows.
counted_before as (
    select
        customer_id,
        transaction_date,
        amount,
        cost
    from changed_transactions
    where not is_new
    union all
    select
        customer_id,
        transaction_date,
        amount,
        cost
    from outranked
),

-- Each changed row counted as it counts now (+1); each row taken back as it counted before (-1).
flagged_transactions as (
    select
        changed_transactions.customer_id,
        changed_transactions.transaction_date,
        changed_transactions.amount,
        changed_transactions.cost,
        1 as weight,
        {{ tiering.transaction_flags(
            'changed_transactions.transaction_date', 'as_of.as_of_date', 'as_of.window_floor',
            'as_of.recent_period_floor', 'as_of.previous_period_floor') }}
    from changed_transactions
    cross join as_of
    where changed_transactions.transaction_date <= as_of.as_of_date
    union all
    select
        counted_before.customer_id,
        counted_before.transaction_date,
        counted_before.amount,
        counted_before.cost,
        -1 as weight,
        {{ tiering.transaction_flags(
            'counted_before.transaction_date', 'as_of.previous_as_of_date', 'as_of.previous_window_floor',
            'as_of.previous_recent_period_floor', 'as_of.previous_previous_period_floor') }}
    from counted_before
    cross join as_of
    where counted_before.transaction_date <= as_of.previous_as_of_date
),

changes as (
    select
        customer_id,
        {{ tiering.customer_measures(weight='weight') }}
    from flagged_transactions
    group by customer_id
),

-- The changed customers: their previous measures plus the changes; a customer's first clean row
-- makes a new one. Only these rows are written (delete+insert); the post-hook move_as_of_date
-- moves every other customer to the new as-of date.
customer_totals as (
    select
        changes.customer_id,
        case
            when
                changes.first_purchase_date is null
                or previous.first_purchase_date < changes.first_purchase_date
                then previous.first_purchase_date
            else changes.first_purchase_date
        end as first_purchase_date,
        case
            when
                changes.last_purchase_date is null
                or previous.last_purchase_date > changes.last_purchase_date
                then previous.last_purchase_date
            else changes.last_purchase_date
        end as last_purchase_date,
        {%- for measure in ['frequency', 'monetary', 'lifetime_revenue', 'lifetime_purchases', 'recent_spend',
                            'recent_purchases', 'previous_spend', 'previous_purchases'] %}
        coalesce(previous.{{ measure }}, 0) + changes.{{ measure }} as {{ measure }},
        {%- endfor %}
        -- The previous profit is null when no row had a cost: amount - 0 summed, its monetary.
        coalesce(previous.profit, previous.monetary, 0) + changes.profit as profit
    from changes
    left join previous
        on changes.customer_id = previous.customer_id
),

-- Profit is known when some transaction up to the as-of date has a cost (macro metrics_plan: an
-- update keeps it so).
cost_coverage as (
    select {{ 'true' if plan.has_cost else 'false' }} as has_cost
),
{%- else %}

transactions_to_date as (
    select
        transactions.customer_id,
        transactions.transaction_date,
        transactions.amount,
        transactions.cost,
        {{ tiering.transaction_flags(
            'transactions.transaction_date', 'as_of.as_of_date', 'as_of.window_floor',
            'as_of.recent_period_floor', 'as_of.previous_period_floor') }}
    from transactions
    cross join as_of
    where transactions.transaction_date <= as_of.as_of_date
),

-- Grouped by customer alone: the as-of date is one value, joined after the grouping (a second
-- grouping key costs the grouping half its time again). Materialized: cost_coverage reads it too.
customer_totals as {{ tiering.materialization_hint('materialized') }} (
    select
        customer_id,
        {{ tiering.customer_measures() }}
    from transactions_to_date
    group by customer_id
),

-- Profit is known when some transaction up to the as-of date has a cost. Counted in the grouping
-- above: a scan of its own re-ran the view chain of every transaction (5 s per 100 M rows).
cost_coverage as (
    select sum(rows_with_cost) > 0 as has_cost from customer_totals
),
{%- endif %}
-- noqa: enable=LT02

final as (
    select
        customer_totals.customer_id,
        as_of.as_of_date,
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        {{ tiering.days_to_as_of('customer_totals.last_purchase_date', 'as_of.as_of_date') }} as recency_days,
        cast(customer_totals.frequency as {{ dbt.type_int() }}) as frequency,
        cast(customer_totals.monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(
            case when cost_coverage.has_cost then customer_totals.profit end
            as {{ dbt.type_numeric() }}
        ) as profit,
        cast(customer_totals.lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        {{ tiering.days_to_as_of('customer_totals.first_purchase_date', 'as_of.as_of_date') }} as tenure_days,
        cast(customer_totals.lifetime_purchases as {{ dbt.type_int() }}) as lifetime_purchases,
        cast(customer_totals.recent_spend as {{ dbt.type_numeric() }}) as recent_spend,
        cast(customer_totals.recent_purchases as {{ dbt.type_int() }}) as recent_purchases,
        cast(customer_totals.previous_spend as {{ dbt.type_numeric() }}) as previous_spend,
        cast(customer_totals.previous_purchases as {{ dbt.type_int() }}) as previous_purchases,
        {{ tiering.string_literal(plan.state_version) }} as state_version
    from customer_totals
    cross join as_of
    cross join cost_coverage
)

select * from final
