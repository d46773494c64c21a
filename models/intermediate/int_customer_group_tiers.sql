{#- Tiers within groups (var tier_within, docs/schemes.md): each buyer's RFM scores and pyramid
    tier recomputed among the buyers of its group (e.g. its region), by the same rules (macros
    value_scores, pyramid_tier) as the overall ones, because a VIP of a small region is invisible
    in a national ranking. One row per buyer; no rows when tier_within is [] (the default). A
    table: customer_tiers and the tests read it. -#}
{{ config(materialized='table') }}
{%- set tier_within = tiering.setting('tier_within') %}

with

customer_metrics as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        profit
    from {{ ref('int_customer_metrics') }}
    -- Buyers only, as in the overall scores and pyramid.
    where last_purchase_date is not null
),

customers as (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region
    from {{ ref('stg_customers') }}
),

-- A buyer missing from the customer file belongs to the group of unknown attributes. Without
-- tier_within no buyer is kept, and the customer file is joined but not read (hence the noqa).
grouped as (
    select
        customer_metrics.customer_id,
        customer_metrics.recency_days,
        customer_metrics.frequency,
        customer_metrics.monetary,
        {{ tiering.pyramid_value(
            'customer_metrics.monetary', 'customer_metrics.profit', tiering.setting('pyramid_basis')
        ) }} as pyramid_value,
        {{ tiering.tier_group(tier_within, 'customers') }} as tier_group
    from customer_metrics
    left join customers  -- noqa: ST11
        on customer_metrics.customer_id = customers.customer_id
    where {{ '1 = 1' if tier_within else '1 = 0' }}
),

recency_scores as (
    {{ tiering.value_scores('grouped', 'recency_days', 'desc', partition_by='tier_group') }}
),

frequency_scores as (
    {{ tiering.value_scores('grouped', 'frequency', 'asc', partition_by='tier_group') }}
),

monetary_scores as (
    {{ tiering.value_scores('grouped', 'monetary', 'asc', partition_by='tier_group') }}
),

value_ranks as (
    {{ tiering.value_ranks('grouped', 'pyramid_value', 'desc', partition_by='tier_group') }}
),

value_tiers as (
    select
        tier_group,
        ranked_value,
        {{ tiering.pyramid_tier(
            'value_rank', 'partition_rows', tiering.setting('pyramid_cut_points')
        ) }} as pyramid_tier
    from value_ranks
),

scored as (
    select
        grouped.customer_id,
        grouped.tier_group,
        recency_scores.score as r_score,
        frequency_scores.score as f_score,
        monetary_scores.score as m_score,
        value_tiers.pyramid_tier
    from grouped
    left join recency_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'recency_scores', 'recency_days', partition_by='tier_group') }}
    left join frequency_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'frequency_scores', 'frequency', partition_by='tier_group') }}
    left join monetary_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'monetary_scores', 'monetary', partition_by='tier_group') }}
    left join value_tiers
        on {{ tiering.value_ranks_join(
            'grouped', 'value_tiers', 'pyramid_value', partition_by='tier_group') }}
),

final as (
    select
        customer_id,
        cast(tier_group as {{ dbt.type_string() }}) as tier_group,
        cast(r_score as {{ dbt.type_int() }}) as group_r_score,
        cast(f_score as {{ dbt.type_int() }}) as group_f_score,
        cast(m_score as {{ dbt.type_int() }}) as group_m_score,
        {{ tiering.rfm_cell('r_score', 'f_score', 'm_score') }} as group_rfm_cell,
        cast(pyramid_tier as {{ dbt.type_string() }}) as group_pyramid_tier
    from scored
)

select * from final
