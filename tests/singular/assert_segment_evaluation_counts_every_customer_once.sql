-- Each scheme's rows of segment_evaluation (its segments and the row of the customers it does not
-- classify) count every customer of customer_tiers exactly once, with its revenue and profit: a
-- failing row is a scheme whose rows lose a customer or count one twice.
with

customer_totals as (
    select
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue,
        coalesce(sum(profit), 0) as profit
    from {{ ref('customer_tiers') }}
),

scheme_totals as (
    select
        scheme,
        sum(customers) as customers,
        sum(revenue) as revenue,
        coalesce(sum(profit), 0) as profit
    from {{ ref('segment_evaluation') }}
    group by scheme
),

schemes as (
    select distinct scheme from {{ ref('tier_strategy_texts') }}
)

select
    schemes.scheme,
    scheme_totals.customers,
    customer_totals.customers as expected_customers,
    scheme_totals.revenue,
    customer_totals.revenue as expected_revenue,
    scheme_totals.profit,
    customer_totals.profit as expected_profit
from schemes
cross join customer_totals
left join scheme_totals
    on schemes.scheme = scheme_totals.scheme
where
    scheme_totals.scheme is null
    or scheme_totals.customers != customer_totals.customers
    or scheme_totals.revenue != customer_totals.revenue
    or scheme_totals.profit != customer_totals.profit
