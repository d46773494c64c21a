{#- The leaky bucket (document 004): per period end, the customers active in the period (a
    purchase in it) split into new (first purchase in the period), retained (active in the period
    before too) and reactivated (bought before, but not in the period before), and the customers
    lost (active in the period before, not in this one), with the revenue of each flow in its
    period. So new + retained + reactivated = active, and active = the period before's active -
    lost + new + reactivated. The first period end has no period before: nobody was active then.
    Incremental: a run computes the period ends whose rows changed in the history. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ tiering.prune_period_ends(this, ['as_of_date']) }}",
) }}
{%- set changes = tiering.history_changes(this, 'as_of_date') %}

with

-- Every customer known at the period end (a customer known before is known still), with its
-- activity in the period and in the period before (held by its row).
customer_activity as (
    select
        as_of_date,
        period_start,
        previous_as_of_date,
        first_purchase_date,
        period_revenue,
        previous_period_revenue,
        computed_at,
        period_purchases > 0 as is_active,
        previous_period_purchases > 0 as was_active
    from {{ ref('customer_tier_history') }}
    where {{ tiering.changed_end(changes, ['as_of_date']) }}
),

classified as (
    select
        *,
        case
            when is_active and first_purchase_date >= period_start then 'new'
            when is_active and was_active then 'retained'
            when is_active then 'reactivated'
            when was_active then 'lost'
        end as flow
    from customer_activity
),

flows as (
    select
        as_of_date,
        period_start,
        previous_as_of_date,
        sum(case when is_active then 1 else 0 end) as active_customers,
        sum(case when was_active then 1 else 0 end) as previously_active_customers,
        {%- for flow in ['new', 'retained', 'reactivated', 'lost'] %}
            sum(case when flow = '{{ flow }}' then 1 else 0 end) as {{ flow }}_customers,
        {%- endfor %}
        sum(case when is_active then period_revenue else 0 end) as active_revenue,
        {%- for flow in ['new', 'retained', 'reactivated'] %}
            sum(case when flow = '{{ flow }}' then period_revenue else 0 end) as {{ flow }}_revenue,
        {%- endfor %}
        -- What the lost customers had brought in the period before.
        sum(case when flow = 'lost' then previous_period_revenue else 0 end) as lost_revenue,
        max(computed_at) as source_computed_at
    from classified
    group by as_of_date, period_start, previous_as_of_date
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(period_start as date) as period_start,
        cast(previous_as_of_date as date) as previous_as_of_date,
        {%- for count in ['active', 'previously_active', 'new', 'retained', 'reactivated', 'lost'] %}
            cast({{ count }}_customers as {{ dbt.type_int() }}) as {{ count }}_customers,
        {%- endfor %}
        {%- for revenue in ['active', 'new', 'retained', 'reactivated', 'lost'] %}
            cast({{ revenue }}_revenue as {{ dbt.type_numeric() }}) as {{ revenue }}_revenue,
        {%- endfor %}
        source_computed_at
    from flows
)

select * from final
