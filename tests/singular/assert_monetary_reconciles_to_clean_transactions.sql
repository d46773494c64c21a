-- The monetary values published in customer_tiers add up to every clean amount in the RFM window,
-- and their lifetime revenue to every clean amount up to the as-of date: every customer with a
-- clean transaction is published (buyers and customers with refunds only), so a customer missing
-- from customer_tiers, or an amount dropped or counted twice on the way, fails the test.
with

customer_tiers as (
    select
        as_of_date,
        monetary,
        lifetime_revenue
    from {{ ref('customer_tiers') }}
),

transactions as {{ tiering.materialization_hint('not materialized') }} (
    select
        transaction_date,
        amount
    from {{ ref('stg_transactions') }}
),

published as (
    select
        max(as_of_date) as as_of_date,
        {{ tiering.rfm_window_floor('max(as_of_date)', tiering.setting('rfm_window_days')) }} as window_floor,
        coalesce(sum(monetary), 0) as monetary,
        coalesce(sum(lifetime_revenue), 0) as lifetime_revenue
    from customer_tiers
),

-- Each transaction up to the as-of date with its amount in the window (0 outside).
transactions_to_date as {{ tiering.materialization_hint('not materialized') }} (
    select
        transactions.amount,
        case
            when {{ tiering.is_in_rfm_window(
                'transactions.transaction_date', 'published.as_of_date', tiering.setting('rfm_window_days'),
                window_floor='published.window_floor') }}
                then transactions.amount
            else 0
        end as window_amount
    from transactions
    cross join published
    where transactions.transaction_date <= published.as_of_date
),

from_transactions as (
    select
        coalesce(sum(window_amount), 0) as monetary,
        coalesce(sum(amount), 0) as lifetime_revenue
    from transactions_to_date
)

select
    published.monetary as published_monetary,
    from_transactions.monetary as transactions_monetary,
    published.lifetime_revenue as published_lifetime_revenue,
    from_transactions.lifetime_revenue as transactions_lifetime_revenue
from published
cross join from_transactions
where
    published.monetary != from_transactions.monetary
    or published.lifetime_revenue != from_transactions.lifetime_revenue
