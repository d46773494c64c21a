-- Every customer is counted in exactly one tier of each scheme in tier_strategies and
-- pyramid_summary: per scheme, the tiers' customers and revenue add up to customer_tiers. A
-- failing row means a tier in the data has no row of strategy texts, or one counted twice.
with

customer_totals as (
    select
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue
    from {{ ref('customer_tiers') }}
),

scheme_totals as (
    select
        scheme,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('tier_strategies') }}
    group by scheme

    union all

    select
        'pyramid_summary' as scheme,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('pyramid_summary') }}
)

select
    scheme_totals.scheme,
    scheme_totals.customers,
    customer_totals.customers as expected_customers,
    scheme_totals.revenue,
    customer_totals.revenue as expected_revenue
from scheme_totals
cross join customer_totals
where
    scheme_totals.customers != customer_totals.customers
    or scheme_totals.revenue != customer_totals.revenue
