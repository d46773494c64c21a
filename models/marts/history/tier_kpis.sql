{#- The effectiveness KPIs of every tier (document 002, section 5), per period end and segment of
    each scheme: its customers, the active ones (a purchase in the period), their purchases,
    revenue and share of the period's revenue, average order value and purchase frequency; and how
    the tier keeps its customers: of the customers in the segment at the period end before who
    were active in that period, the share active again in this one (retention rate) and the rest
    (churn rate). Incremental: a run computes the period ends whose rows changed in the history
    (they hold each customer's segment and activity at the period end before). -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ tiering.prune_period_ends(this, ['as_of_date']) }}",
) }}
{%- set changes = tiering.history_changes(this, 'as_of_date') %}

with

customer_segments as (
    select
        as_of_date,
        scheme,
        segment,
        previous_segment,
        period_revenue,
        period_purchases,
        previous_period_purchases,
        computed_at
    from {{ ref('int_customer_segment_history') }}
    where {{ tiering.changed_end(changes, ['as_of_date']) }}
),

-- Each segment's figures of this period, then its retention (a segment may hold customers at
-- only one of the two period ends), summed below.
segment_figures as (
    select
        as_of_date,
        scheme,
        segment,
        count(*) as customers,
        sum(case when period_purchases > 0 then 1 else 0 end) as active_customers,
        sum(period_purchases) as purchases,
        sum(period_revenue) as revenue,
        0 as previously_active_customers,
        0 as retained_customers,
        max(computed_at) as source_computed_at
    from customer_segments
    group by as_of_date, scheme, segment
    union all
    select
        as_of_date,
        scheme,
        previous_segment as segment,
        0 as customers,
        0 as active_customers,
        0 as purchases,
        0 as revenue,
        count(*) as previously_active_customers,
        sum(case when period_purchases > 0 then 1 else 0 end) as retained_customers,
        null as source_computed_at
    from customer_segments
    -- The customers active in the period before, by their segment then (a customer known then is
    -- known now).
    where previous_period_purchases > 0
    group by as_of_date, scheme, previous_segment
),

segment_kpis as (
    select
        as_of_date,
        scheme,
        segment,
        sum(customers) as customers,
        sum(active_customers) as active_customers,
        sum(purchases) as purchases,
        sum(revenue) as revenue,
        sum(previously_active_customers) as previously_active_customers,
        sum(retained_customers) as retained_customers,
        max(source_computed_at) as source_computed_at
    from segment_figures
    group by as_of_date, scheme, segment
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(scheme as {{ tiering.type_contract_string() }}) as scheme,
        cast(segment as {{ tiering.type_contract_string() }}) as segment,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(active_customers as {{ dbt.type_int() }}) as active_customers,
        cast(purchases as {{ dbt.type_int() }}) as purchases,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        {{ tiering.share_of('revenue', 'sum(revenue) over (partition by as_of_date, scheme)') }}
            as revenue_share,
        {{ tiering.share_of('revenue', 'purchases') }} as average_order_value,
        {{ tiering.share_of('purchases', 'active_customers') }} as purchase_frequency,
        cast(previously_active_customers as {{ dbt.type_int() }}) as previously_active_customers,
        cast(retained_customers as {{ dbt.type_int() }}) as retained_customers,
        {{ tiering.share_of('retained_customers', 'previously_active_customers') }} as retention_rate,
        {{ tiering.share_of(
            'previously_active_customers - retained_customers', 'previously_active_customers'
        ) }} as churn_rate,
        source_computed_at
    from segment_kpis
)

select * from final
