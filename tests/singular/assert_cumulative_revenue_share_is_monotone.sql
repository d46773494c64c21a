-- The cumulative revenue share never decreases down the ranking (value descending, customer_id
-- ascending in byte order, as the share is computed), and the last customer's share is exactly 1.
-- Returns each customer whose share is below the one before it, and the last customer when it
-- does not end at 1.
with

customer_shares as (
    select
        customer_id,
        cumulative_revenue_share,
        lag(cumulative_revenue_share) over (
            order by revenue_rank asc, {{ tiering.binary_text('customer_id') }} asc
        ) as previous_share,
        row_number() over (
            order by revenue_rank desc, {{ tiering.binary_text('customer_id') }} desc
        ) as position_from_end
    from {{ ref('customer_tiers') }}
)

select *
from customer_shares
where
    cumulative_revenue_share < previous_share
    or (position_from_end = 1 and abs(cumulative_revenue_share - 1) > 0.000000001)
