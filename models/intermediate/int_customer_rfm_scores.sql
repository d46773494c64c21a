{#- A table: customer_tiers and the tests of the scores read it, so the ranks over every
    customer are computed once per build (as a view they ran once per reader). -#}
{{ config(materialized='table') }}

with

customer_metrics as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue
    from {{ ref('int_customer_metrics') }}
),

-- The rank of each distinct value (macro value_ranks): a sort of the distinct values, not of
-- every customer. The most recent purchase ranks last, so it scores highest.
recency_ranks as (
    {{ tiering.value_ranks('customer_metrics', 'recency_days', 'desc', partition_by='as_of_date') }}
),

frequency_ranks as (
    {{ tiering.value_ranks('customer_metrics', 'frequency', 'asc', partition_by='as_of_date') }}
),

monetary_ranks as (
    {{ tiering.value_ranks('customer_metrics', 'monetary', 'asc', partition_by='as_of_date') }}
),

scored as (
    select
        customer_metrics.customer_id,
        customer_metrics.as_of_date,
        customer_metrics.first_purchase_date,
        customer_metrics.last_purchase_date,
        customer_metrics.recency_days,
        customer_metrics.frequency,
        customer_metrics.monetary,
        customer_metrics.lifetime_revenue,
        {{ tiering.tie_consistent_ntile(
            'recency_ranks.value_rank', 'recency_ranks.partition_rows') }} as r_score,
        {{ tiering.tie_consistent_ntile(
            'frequency_ranks.value_rank', 'frequency_ranks.partition_rows') }} as f_score,
        {{ tiering.tie_consistent_ntile(
            'monetary_ranks.value_rank', 'monetary_ranks.partition_rows') }} as m_score
    from customer_metrics
    left join recency_ranks
        on {{ tiering.value_ranks_join(
            'customer_metrics', 'recency_ranks', 'recency_days', partition_by='as_of_date') }}
    left join frequency_ranks
        on {{ tiering.value_ranks_join(
            'customer_metrics', 'frequency_ranks', 'frequency', partition_by='as_of_date') }}
    left join monetary_ranks
        on {{ tiering.value_ranks_join(
            'customer_metrics', 'monetary_ranks', 'monetary', partition_by='as_of_date') }}
),

final as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue,
        r_score,
        f_score,
        m_score,
        {{ tiering.rfm_cell('r_score', 'f_score', 'm_score') }} as rfm_cell
    from scored
)

select * from final
