{#- Every customer's tiers at every period end of int_period_ends: the measures of
    int_customer_metrics_history, scored, ranked and classified per period end by the macros that
    make customer_tiers (value_scores, rfm_cell, value_ranks, pyramid_tier, pareto_class,
    cumulative_share, lifecycle_stage, value_loyalty_grade, b2b_segment), so that its latest period
    end equals customer_tiers (test assert_customer_tier_history_ends_with_customer_tiers). The
    customer attributes are today's: the customer file has no history.

    Incremental like int_customer_metrics_history (macro history_plan): a run computes the period
    ends whose transactions changed and keeps the others. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ tiering.empty_unless_updated(this, latest_run_only=true) }}",
    post_hook="{{ tiering.prune_period_ends(this, ['as_of_date']) }}",
) }}
{%- set plan = tiering.history_plan(this) %}

with

-- Not materialized (on the engines that would): each reader below scans the table itself. Held in
-- memory, the 19 M rows of 36 period ends at 10 M transactions took 3.3 GB of DuckDB's 6 GB and the
-- run ran out of memory; recomputed, it takes 62 s within the 6 GB.
metrics_history as {{ tiering.materialization_hint('not materialized') }} (
    select
        customer_id,
        as_of_date,
        period_start,
        previous_as_of_date,
        is_complete,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        profit,
        lifetime_revenue,
        tenure_days,
        lifetime_purchases,
        recent_spend,
        recent_purchases,
        previous_spend,
        previous_purchases,
        period_revenue,
        period_purchases
    from {{ ref('int_customer_metrics_history') }}
    where {{ plan.period_ends }}
),

-- The period ends to compute (each has a customer: periods start with the first purchase's).
period_ends as (
    select distinct
        as_of_date,
        period_start,
        previous_as_of_date,
        is_complete
    from metrics_history
),

customers as (
    select
        customer_id,
        customer_type,
        company_size,
        signup_date
    from {{ ref('stg_customers') }}
),

segment_map as (
    select
        rfm_cell,
        rfm_segment
    from {{ ref('rfm_segment_map') }}
),


-- Scores and the pyramid rank the buyers of each period end only, as in customer_tiers.
buyers as (
    select
        customer_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        {{ tiering.pyramid_value('monetary', 'profit', tiering.setting('pyramid_basis')) }} as pyramid_value
    from metrics_history
    where last_purchase_date is not null
),

recency_scores as (
    {{ tiering.value_scores('buyers', 'recency_days', 'desc', partition_by='as_of_date') }}
),

frequency_scores as (
    {{ tiering.value_scores('buyers', 'frequency', 'asc', partition_by='as_of_date') }}
),

monetary_scores as (
    {{ tiering.value_scores('buyers', 'monetary', 'asc', partition_by='as_of_date') }}
),

value_ranks as (
    {{ tiering.value_ranks('buyers', 'pyramid_value', 'desc', partition_by='as_of_date') }}
),

value_tiers as (
    {{ tiering.pyramid_value_tiers(
        'value_ranks', tiering.setting('pyramid_cut_points'), tiering.setting('pareto_cut_points')
    ) }}
),

scored as (
    select
        buyers.customer_id,
        buyers.as_of_date,
        buyers.pyramid_value,
        recency_scores.score as r_score,
        frequency_scores.score as f_score,
        monetary_scores.score as m_score,
        {{ tiering.rfm_cell('recency_scores.score', 'frequency_scores.score', 'monetary_scores.score') }}
            as rfm_cell,
        value_tiers.revenue_rank,
        value_tiers.percent_rank,
        {{ tiering.cumulative_share(
            'buyers.pyramid_value', 'value_tiers.positive_value_above',
            'value_tiers.positive_value_total', tie_breaker='buyers.customer_id',
            partition_by='buyers.as_of_date'
        ) }} as cumulative_revenue_share,
        value_tiers.pyramid_tier,
        value_tiers.pareto_class
    from buyers
    left join recency_scores
        on {{ tiering.value_ranks_join(
            'buyers', 'recency_scores', 'recency_days', partition_by='as_of_date') }}
    left join frequency_scores
        on {{ tiering.value_ranks_join(
            'buyers', 'frequency_scores', 'frequency', partition_by='as_of_date') }}
    left join monetary_scores
        on {{ tiering.value_ranks_join(
            'buyers', 'monetary_scores', 'monetary', partition_by='as_of_date') }}
    left join value_tiers
        on {{ tiering.value_ranks_join(
            'buyers', 'value_tiers', 'pyramid_value', partition_by='as_of_date') }}
),

-- The prospects of each period end, as in customer_tiers: customers of the customer file known by
-- then (signed up on or before it, or on an unknown day) with no clean transaction up to it.
prospects as (
    select
        customers.customer_id,
        period_ends.as_of_date,
        period_ends.period_start,
        period_ends.previous_as_of_date,
        period_ends.is_complete
    from customers
    cross join period_ends
    left join metrics_history
        on
            customers.customer_id = metrics_history.customer_id
            and period_ends.as_of_date = metrics_history.as_of_date
    where
        metrics_history.customer_id is null
        and (customers.signup_date is null or customers.signup_date <= period_ends.as_of_date)
),

known_customers as (
    select * from metrics_history
    union all
    select
        customer_id,
        as_of_date,
        period_start,
        previous_as_of_date,
        is_complete,
        cast(null as date) as first_purchase_date,
        cast(null as date) as last_purchase_date,
        null as recency_days,
        null as frequency,
        null as monetary,
        null as profit,
        null as lifetime_revenue,
        null as tenure_days,
        null as lifetime_purchases,
        null as recent_spend,
        null as recent_purchases,
        null as previous_spend,
        null as previous_purchases,
        0 as period_revenue,
        0 as period_purchases
    from prospects
),

joined as (
    select
        known_customers.*,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        scored.rfm_cell,
        segment_map.rfm_segment,
        scored.pyramid_value,
        scored.revenue_rank,
        scored.percent_rank,
        scored.cumulative_revenue_share,
        scored.pyramid_tier,
        scored.pareto_class,
        customers.customer_type,
        customers.company_size
    from known_customers
    left join scored
        on
            known_customers.customer_id = scored.customer_id
            and known_customers.as_of_date = scored.as_of_date
    left join segment_map
        on scored.rfm_cell = segment_map.rfm_cell
    left join customers
        on known_customers.customer_id = customers.customer_id
),

lifecycle as (
    select
        *,
        {{ tiering.lifecycle_stage() }} as lifecycle_stage
    from joined
),

graded as (
    select
        *,
        {{ tiering.value_loyalty_grade() }} as value_loyalty_grade,
        {{ tiering.b2b_segment() }} as b2b_segment
    from lifecycle
),

-- Each customer's row at the period end before (the marts of migrations, flows and KPIs compare
-- the two without joining the history to itself): a narrow copy of this run's rows, and for the
-- first period end an update computes, of the table's rows of the period end before it. A join,
-- not a window: a window over the wide rows ran out of memory at 25 M rows.
{%- set carried = ['period_revenue', 'period_purchases'] + tiering.segment_schemes() %}
earlier_rows as (
    select
        customer_id,
        as_of_date,
        {{ carried | join(',\n        ') }}
    from graded
    {%- if plan.mode == 'update' %}
        union all
        select
            customer_id,
            as_of_date,
            {{ carried | join(',\n            ') }}
        from {{ this }}
        where {{ plan.ends_before }}
    {%- endif %}
),

with_previous as (
    select
        graded.*,
        {%- for column in carried %}
            earlier_rows.{{ column }} as previous_{{ column }},
        {%- endfor %}
        earlier_rows.customer_id is not null as is_known_before
    from graded
    left join earlier_rows
        on
            graded.customer_id = earlier_rows.customer_id
            and graded.previous_as_of_date = earlier_rows.as_of_date
),

final as (
    select
        cast(customer_id as {{ tiering.type_contract_string() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(period_start as date) as period_start,
        cast(previous_as_of_date as date) as previous_as_of_date,
        is_complete,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(profit as {{ dbt.type_numeric() }}) as profit,
        cast(lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(lifetime_purchases as {{ dbt.type_int() }}) as lifetime_purchases,
        cast(period_revenue as {{ dbt.type_numeric() }}) as period_revenue,
        cast(period_purchases as {{ dbt.type_int() }}) as period_purchases,
        cast(r_score as {{ dbt.type_int() }}) as r_score,
        cast(f_score as {{ dbt.type_int() }}) as f_score,
        cast(m_score as {{ dbt.type_int() }}) as m_score,
        cast(rfm_cell as {{ tiering.type_contract_string() }}) as rfm_cell,
        cast(rfm_segment as {{ tiering.type_contract_string() }}) as rfm_segment,
        cast(pyramid_value as {{ dbt.type_numeric() }}) as pyramid_value,
        cast(revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(percent_rank as {{ tiering.type_double() }}) as percent_rank,
        cast(cumulative_revenue_share as {{ tiering.type_double() }}) as cumulative_revenue_share,
        cast(pyramid_tier as {{ tiering.type_contract_string() }}) as pyramid_tier,
        cast(pareto_class as {{ tiering.type_contract_string() }}) as pareto_class,
        cast(lifecycle_stage as {{ tiering.type_contract_string() }}) as lifecycle_stage,
        cast(value_loyalty_grade as {{ tiering.type_contract_string() }}) as value_loyalty_grade,
        cast(b2b_segment as {{ tiering.type_contract_string() }}) as b2b_segment,
        is_known_before,
        cast(coalesce(previous_period_revenue, 0) as {{ dbt.type_numeric() }}) as previous_period_revenue,
        cast(coalesce(previous_period_purchases, 0) as {{ dbt.type_int() }}) as previous_period_purchases,
        {%- for scheme in tiering.segment_schemes() %}
            cast(previous_{{ scheme }} as {{ tiering.type_contract_string() }}) as previous_{{ scheme }},
        {%- endfor %}
        {{ tiering.run_timestamp() }} as computed_at,
        cast(
            {{ tiering.string_literal(plan.state_version) }} as {{ tiering.type_contract_string() }}
        ) as state_version
    from with_previous
)

select * from final
