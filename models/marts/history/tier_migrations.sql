{#- Tier migrations (documents 000, 004): for each scheme and each pair of consecutive period ends,
    how many customers moved from each segment to each other (segment null: not classified by the
    scheme, e.g. a prospect in the pyramid) and the revenue they brought in the later period. Only
    customers known at both period ends count; the leaky bucket (customer_flows) counts those who
    arrive. Incremental: a run computes the pairs whose later period end changed in the history
    (whose rows hold each customer's segment at the period end before). -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='to_as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ tiering.prune_period_ends(this, ['from_as_of_date', 'to_as_of_date']) }}",
) }}
{%- set changes = tiering.history_changes(this, 'to_as_of_date') %}

with

-- The customers known at both period ends: each row holds its segment at the period end before.
moves as (
    select
        previous_as_of_date as from_as_of_date,
        as_of_date as to_as_of_date,
        scheme,
        previous_segment as from_segment,
        segment as to_segment,
        previous_tier_order as from_tier_order,
        tier_order as to_tier_order,
        period_revenue,
        computed_at
    from {{ ref('int_customer_segment_history') }}
    where is_known_before and {{ tiering.changed_end(changes, ['as_of_date']) }}
),

migrations as (
    select
        from_as_of_date,
        to_as_of_date,
        scheme,
        from_segment,
        to_segment,
        count(*) as customers,
        sum(period_revenue) as revenue,
        -- One order per segment.
        max(from_tier_order) as from_tier_order,
        max(to_tier_order) as to_tier_order,
        max(computed_at) as source_computed_at
    from moves
    group by from_as_of_date, to_as_of_date, scheme, from_segment, to_segment
),

-- Up and down by the seed's tier_order (1 is the best tier) in the schemes that rank value; the
-- lifecycle's order is the course of a life, so its moves are 'moved'.
directed as (
    select
        *,
        case
            when
                from_segment = to_segment
                or (from_segment is null and to_segment is null)
                then 'stable'
            when from_segment is null then 'entered'
            when to_segment is null then 'left'
            when scheme = 'lifecycle_stage' then 'moved'
            when to_tier_order < from_tier_order then 'upgrade'
            when to_tier_order > from_tier_order then 'downgrade'
            else 'moved'
        end as direction
    from migrations
),

-- source_computed_at: the computed_at of the later period end's rows (macro history_changes).
final as (
    select
        cast(scheme as {{ tiering.type_contract_string() }}) as scheme,
        cast(from_as_of_date as date) as from_as_of_date,
        cast(to_as_of_date as date) as to_as_of_date,
        cast(from_segment as {{ tiering.type_contract_string() }}) as from_segment,
        cast(to_segment as {{ tiering.type_contract_string() }}) as to_segment,
        cast(from_tier_order as {{ dbt.type_int() }}) as from_tier_order,
        cast(to_tier_order as {{ dbt.type_int() }}) as to_tier_order,
        cast(direction as {{ tiering.type_contract_string() }}) as direction,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        source_computed_at
    from directed
)

select * from final
