-- The tie-consistent NTILE rule: customers with the same recency, frequency or monetary value
-- have the same score, and a better value never has a lower score. Returns each value whose
-- customers got different scores or whose score is below that of a worse value.
with

customer_tiers as (
    select
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score
    from {{ ref('customer_tiers') }}
    where last_purchase_date is not null
),

customer_values as (
    select
        'recency' as dimension,
        -1 * recency_days as goodness,
        r_score as score
    from customer_tiers

    union all

    select
        'frequency' as dimension,
        frequency as goodness,
        f_score as score
    from customer_tiers

    union all

    select
        'monetary' as dimension,
        monetary as goodness,
        m_score as score
    from customer_tiers
),

value_groups as (
    select
        dimension,
        goodness,
        min(score) as lowest_score,
        max(score) as highest_score
    from customer_values
    group by dimension, goodness
),

ordered_groups as (
    select
        *,
        lag(highest_score) over (
            partition by dimension order by goodness asc
        ) as worse_value_score
    from value_groups
)

select *
from ordered_groups
where
    lowest_score != highest_score
    or lowest_score < worse_value_score
