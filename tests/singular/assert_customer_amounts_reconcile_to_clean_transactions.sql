-- The amounts published in customer_tiers add up to every clean amount: monetary to the amounts
-- in the RFM window, lifetime revenue to the amounts up to the as-of date, and profit to the
-- window's amount - cost (a missing cost counting as 0; profit is null for every customer when
-- no transaction up to the as-of date has a cost). Every customer with a clean transaction is
-- published (buyers and customers with refunds only), so a customer missing from
-- customer_tiers, or an amount dropped or counted twice on the way, fails the test.
with

customer_tiers as (
    select
        as_of_date,
        monetary,
        profit,
        lifetime_revenue
    from {{ ref('customer_tiers') }}
),

-- The clean transactions, counted from the rule tables rather than from the view stg_transactions
-- (which joins every row with the copies): every row that passes the row rules, less the later
-- copies of the duplicate rule (weight -1). Half the work at 100 M rows, and a second path to the
-- same rows, so a fault in the view shows too.
transactions as {{ tiering.materialization_hint('not materialized') }} (
    select
        transaction_date,
        amount,
        cost,
        1 as weight
    from {{ ref('base_transaction_rows') }}
    where row_reject_reason is null
    union all
    select
        transaction_date,
        amount,
        cost,
        -1 as weight
    from {{ ref('base_transaction_copies') }}
    where copy_number > 1
),

published as (
    select
        max(as_of_date) as as_of_date,
        {{ tiering.rfm_window_floor('max(as_of_date)', tiering.setting('rfm_window_days')) }} as window_floor,
        coalesce(sum(monetary), 0) as monetary,
        coalesce(sum(profit), 0) as profit,
        count(profit) as customers_with_profit,
        coalesce(sum(lifetime_revenue), 0) as lifetime_revenue
    from customer_tiers
),

-- Each transaction up to the as-of date with whether it lies in the window.
transactions_to_date as {{ tiering.materialization_hint('not materialized') }} (
    select
        transactions.weight,
        transactions.amount,
        transactions.cost,
        {{ tiering.is_in_rfm_window(
            'transactions.transaction_date', 'published.as_of_date', tiering.setting('rfm_window_days'),
            window_floor='published.window_floor') }} as is_in_window
    from transactions
    cross join published
    where transactions.transaction_date <= published.as_of_date
),

from_transactions as (
    select
        coalesce(sum(case when is_in_window then weight * amount else 0 end), 0) as monetary,
        coalesce(sum(case when is_in_window then weight * (amount - coalesce(cost, 0)) else 0 end), 0)
            as profit,
        coalesce(sum(case when cost is not null then weight else 0 end), 0) as rows_with_cost,
        coalesce(sum(weight * amount), 0) as lifetime_revenue
    from transactions_to_date
)

select
    published.monetary as published_monetary,
    from_transactions.monetary as transactions_monetary,
    published.profit as published_profit,
    from_transactions.profit as transactions_profit,
    published.customers_with_profit,
    from_transactions.rows_with_cost,
    published.lifetime_revenue as published_lifetime_revenue,
    from_transactions.lifetime_revenue as transactions_lifetime_revenue
from published
cross join from_transactions
where
    published.monetary != from_transactions.monetary
    or published.lifetime_revenue != from_transactions.lifetime_revenue
    or (from_transactions.rows_with_cost > 0 and published.profit != from_transactions.profit)
    or (from_transactions.rows_with_cost = 0 and published.customers_with_profit > 0)
