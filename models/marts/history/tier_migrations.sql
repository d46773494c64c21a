{#- Tier migrations (documents 000, 004): for each scheme and each pair of consecutive period ends,
    how many customers moved from each segment to each other (segment null: not classified by the
    scheme, e.g. a prospect in the pyramid) and the revenue they brought in the later period. Only
    customers known at both period ends count; the leaky bucket (customer_flows) counts those who
    arrive. Incremental: a run computes the pairs whose period ends changed in the history. -#}
{{ config(
    materialized='incremental',
    unique_key='to_as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ tiering.prune_period_ends(this, ['from_as_of_date', 'to_as_of_date']) }}",
) }}
{%- set changes = tiering.history_changes(this, 'to_as_of_date') %}

with

customer_segments as (
    select
        customer_id,
        as_of_date,
        previous_as_of_date,
        scheme,
        segment,
        tier_order,
        period_revenue,
        computed_at
    from {{ ref('int_customer_segment_history') }}
),

period_pairs as (
    select distinct
        previous_as_of_date as from_as_of_date,
        as_of_date as to_as_of_date
    from customer_segments
    where
        previous_as_of_date is not null
        and {{ tiering.changed_end(changes, ['as_of_date', 'previous_as_of_date']) }}
),

moves as (
    select
        period_pairs.from_as_of_date,
        period_pairs.to_as_of_date,
        to_segments.scheme,
        from_segments.segment as from_segment,
        to_segments.segment as to_segment,
        from_segments.tier_order as from_tier_order,
        to_segments.tier_order as to_tier_order,
        to_segments.period_revenue,
        to_segments.computed_at
    from period_pairs
    inner join customer_segments as from_segments
        on period_pairs.from_as_of_date = from_segments.as_of_date
    inner join customer_segments as to_segments
        on
            period_pairs.to_as_of_date = to_segments.as_of_date
            and from_segments.customer_id = to_segments.customer_id
            and from_segments.scheme = to_segments.scheme
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

-- The rows for pairs whose source rows changed: the source_computed_at of a pair is the latest
-- computed_at of its later period end's rows (macro history_changes compares them).
final as (
    select
        cast(scheme as {{ dbt.type_string() }}) as scheme,
        cast(from_as_of_date as date) as from_as_of_date,
        cast(to_as_of_date as date) as to_as_of_date,
        cast(from_segment as {{ dbt.type_string() }}) as from_segment,
        cast(to_segment as {{ dbt.type_string() }}) as to_segment,
        cast(from_tier_order as {{ dbt.type_int() }}) as from_tier_order,
        cast(to_tier_order as {{ dbt.type_int() }}) as to_tier_order,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        source_computed_at
    from directed
)

select * from final
