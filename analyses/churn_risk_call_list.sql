-- The call list of the week for the retention team: churn-risk customers (valuable in the past,
-- not seen lately), the most valuable first, with the strategy that applies to them.
with

customer_tiers as (
    select
        customer_id,
        as_of_date,
        customer_type,
        region,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue,
        rfm_cell,
        rfm_segment,
        pyramid_tier
    from {{ ref('customer_tiers') }}
    where rfm_segment = 'churn_risk'
),

strategies as (
    select
        tier_code,
        owner_role,
        actions
    from {{ ref('tier_strategies') }}
    where scheme = 'rfm_segment'
),

call_list as (
    select
        customer_tiers.customer_id,
        customer_tiers.as_of_date,
        customer_tiers.customer_type,
        customer_tiers.region,
        customer_tiers.recency_days,
        customer_tiers.frequency,
        customer_tiers.monetary,
        customer_tiers.lifetime_revenue,
        customer_tiers.rfm_cell,
        customer_tiers.pyramid_tier,
        strategies.owner_role,
        strategies.actions
    from customer_tiers
    left join strategies
        on customer_tiers.rfm_segment = strategies.tier_code
)

select * from call_list
order by lifetime_revenue desc, customer_id asc
