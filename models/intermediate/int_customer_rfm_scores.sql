{#- A table: customer_tiers and the tests of the scores read it, so the ranks over every
    customer are computed once per build (as a view they ran once per reader). It carries the
    customer's metrics to customer_tiers with the scores (int_customer_pyramid holds only what it
    computes), so that customer_tiers joins two tables, not three. -#}
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
        profit,
        lifetime_revenue,
        tenure_days,
        lifetime_purchases,
        recent_spend,
        recent_purchases,
        previous_spend,
        previous_purchases,
        last_purchase_date is not null as is_buyer
    from {{ ref('int_customer_metrics') }}
),

-- Scores rank the buyers only: customers with transactions but no purchase get none, and do not
-- move the quintiles.
buyers as (
    select
        as_of_date,
        recency_days,
        frequency,
        monetary
    from customer_metrics
    where is_buyer
),

-- The score of each distinct value (macro value_scores): a sort of the distinct values, not of
-- every customer, and the quintile computed once per value. The most recent purchase ranks last,
-- so it scores highest.
recency_scores as (
    {{ tiering.value_scores('buyers', 'recency_days', 'desc', partition_by='as_of_date') }}
),

frequency_scores as (
    {{ tiering.value_scores('buyers', 'frequency', 'asc', partition_by='as_of_date') }}
),

monetary_scores as (
    {{ tiering.value_scores('buyers', 'monetary', 'asc', partition_by='as_of_date') }}
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
        customer_metrics.profit,
        customer_metrics.lifetime_revenue,
        customer_metrics.tenure_days,
        customer_metrics.lifetime_purchases,
        customer_metrics.recent_spend,
        customer_metrics.recent_purchases,
        customer_metrics.previous_spend,
        customer_metrics.previous_purchases,
        recency_scores.score as r_score,
        frequency_scores.score as f_score,
        monetary_scores.score as m_score
    from customer_metrics
    left join recency_scores
        on
            customer_metrics.is_buyer
            and {{ tiering.value_ranks_join(
                'customer_metrics', 'recency_scores', 'recency_days', partition_by='as_of_date') }}
    left join frequency_scores
        on
            customer_metrics.is_buyer
            and {{ tiering.value_ranks_join(
                'customer_metrics', 'frequency_scores', 'frequency', partition_by='as_of_date') }}
    left join monetary_scores
        on
            customer_metrics.is_buyer
            and {{ tiering.value_ranks_join(
                'customer_metrics', 'monetary_scores', 'monetary', partition_by='as_of_date') }}
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
        profit,
        lifetime_revenue,
        tenure_days,
        lifetime_purchases,
        recent_spend,
        recent_purchases,
        previous_spend,
        previous_purchases,
        r_score,
        f_score,
        m_score,
        {{ tiering.rfm_cell('r_score', 'f_score', 'm_score') }} as rfm_cell
    from scored
)

select * from final
