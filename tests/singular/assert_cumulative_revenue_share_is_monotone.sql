-- The cumulative revenue share never decreases down the ranking (value descending, customer_id
-- ascending in byte order, as the share is computed), and the last customer's share is exactly 1.
-- Returns each customer whose share is below the one before it, and the last customer when it
-- does not end at 1. One ordering serves both checks (the last customer has no next one): a sort
-- of every customer, not two.
with

customer_shares as (
    select
        customer_id,
        cumulative_revenue_share,
        lag(cumulative_revenue_share) over (
            order by revenue_rank asc, {{ tiering.binary_text('customer_id') }} asc
        ) as previous_share,
        lead(customer_id) over (
            order by revenue_rank asc, {{ tiering.binary_text('customer_id') }} asc
        ) as next_customer_id
    from {{ ref('customer_tiers') }}
    where pyramid_tier is not null
)

select *
from customer_shares
where
    cumulative_revenue_share < previous_share
    or (next_customer_id is null and abs(cumulative_revenue_share - 1) > 0.000000001)
