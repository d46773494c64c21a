-- Every customer is counted in exactly one tier of each scheme that classifies it, in
-- tier_strategies and pyramid_summary: per scheme, the tiers' customers and revenue add up to
-- those of customer_tiers (the buyers for the pyramid and the RFM segments, the business
-- customers for the B2B segments, every customer for the lifecycle stages and the grades, every
-- customer with transactions for pyramid_summary, whose 'none' row holds those without a
-- purchase; the buyers for the value schemes, CLV band and cluster). A failing row means a tier
-- in the data has no row of strategy texts, or one counted twice. And every customer is on the
-- action list of exactly one strategy (assigned_customers).
with

customer_tiers as (
    select
        customer_id,
        monetary,
        pyramid_tier,
        customer_type
    from {{ ref('customer_tiers') }}
),

value_segments as (
    select
        customer_id,
        scheme,
        segment
    from {{ ref('int_value_scheme_segments') }}
    where segment is not null
),

expected_totals as (
    select
        'pyramid_tier' as scheme,
        count(pyramid_tier) as customers,
        coalesce(sum(case when pyramid_tier is not null then monetary end), 0) as revenue
    from customer_tiers

    union all

    select
        'rfm_segment' as scheme,
        count(pyramid_tier) as customers,
        coalesce(sum(case when pyramid_tier is not null then monetary end), 0) as revenue
    from customer_tiers

    union all

    select
        'lifecycle_stage' as scheme,
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue
    from customer_tiers

    union all

    select
        'value_loyalty_grade' as scheme,
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue
    from customer_tiers

    union all

    select
        'b2b_segment' as scheme,
        sum(case when customer_type = 'business' then 1 else 0 end) as customers,
        coalesce(sum(case when customer_type = 'business' then monetary end), 0) as revenue
    from customer_tiers

    union all

    select
        'pyramid_summary' as scheme,
        count(monetary) as customers,
        coalesce(sum(monetary), 0) as revenue
    from customer_tiers

    union all

    select
        'one_strategy' as scheme,
        count(*) as customers,
        0 as revenue
    from customer_tiers

    union all

    select
        value_segments.scheme,
        count(*) as customers,
        coalesce(sum(customer_tiers.monetary), 0) as revenue
    from value_segments
    inner join customer_tiers
        on value_segments.customer_id = customer_tiers.customer_id
    group by value_segments.scheme
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

    union all

    select
        'one_strategy' as scheme,
        sum(assigned_customers) as customers,
        0 as revenue
    from {{ ref('tier_strategies') }}
)

select
    expected_totals.scheme,
    scheme_totals.customers,
    expected_totals.customers as expected_customers,
    scheme_totals.revenue,
    expected_totals.revenue as expected_revenue
from expected_totals
left join scheme_totals
    on expected_totals.scheme = scheme_totals.scheme
where
    scheme_totals.scheme is null
    or scheme_totals.customers != expected_totals.customers
    or scheme_totals.revenue != expected_totals.revenue
