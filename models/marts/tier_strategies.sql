{#- One row per tier of each scheme: the editable texts of seed tier_strategy_texts with the
    figures of this run. A scheme is added by one more branch in customers_by_tier and its rows
    in the seed. -#}
with

strategy_texts as (
    select
        scheme,
        tier_code,
        tier_order,
        tier_name_zh,
        tier_name_en,
        definition,
        core_goal,
        actions,
        owner_role,
        service_level,
        contact_cadence
    from {{ ref('tier_strategy_texts') }}
),

customer_tiers as (
    select
        customer_id,
        as_of_date,
        monetary,
        pyramid_tier,
        rfm_segment,
        lifecycle_stage,
        value_loyalty_grade,
        b2b_segment
    from {{ ref('customer_tiers') }}
),

-- Each customer once per scheme that classifies it: the pyramid and the RFM segments classify
-- the buyers, the B2B segments the business customers, the lifecycle stage and the value x
-- loyalty grade every customer. A prospect
-- without transactions has no monetary value: it counts as a customer, with no revenue.

customers_by_tier as (
    select
        'pyramid_tier' as scheme,
        pyramid_tier as tier_code,
        monetary
    from customer_tiers

    union all

    select
        'rfm_segment' as scheme,
        rfm_segment as tier_code,
        monetary
    from customer_tiers

    union all

    select
        'lifecycle_stage' as scheme,
        lifecycle_stage as tier_code,
        monetary
    from customer_tiers

    union all

    select
        'value_loyalty_grade' as scheme,
        value_loyalty_grade as tier_code,
        monetary
    from customer_tiers

    union all

    select
        'b2b_segment' as scheme,
        b2b_segment as tier_code,
        monetary
    from customer_tiers
),

classified as (
    select
        scheme,
        tier_code,
        monetary
    from customers_by_tier
    where tier_code is not null
),

tier_figures as (
    select
        scheme,
        tier_code,
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue
    from classified
    group by scheme, tier_code
),

run_as_of as (
    {{ tiering.as_of_date('customer_tiers', tiering.setting('as_of_date'), date_column='as_of_date') }}
),

-- Shares are of the customers and the revenue that the scheme classifies.
scheme_totals as (
    select
        scheme,
        count(*) as customers,
        coalesce(sum(monetary), 0) as revenue
    from classified
    group by scheme
),

final as (
    select
        cast(
            {{ dbt.concat(['strategy_texts.scheme', "':'", 'strategy_texts.tier_code']) }}
            as {{ dbt.type_string() }}
        ) as strategy_key,
        strategy_texts.scheme,
        strategy_texts.tier_code,
        cast(strategy_texts.tier_order as {{ dbt.type_int() }}) as tier_order,
        strategy_texts.tier_name_zh,
        strategy_texts.tier_name_en,
        strategy_texts.definition,
        strategy_texts.core_goal,
        strategy_texts.actions,
        strategy_texts.owner_role,
        strategy_texts.service_level,
        strategy_texts.contact_cadence,
        run_as_of.as_of_date,
        cast(coalesce(tier_figures.customers, 0) as {{ dbt.type_int() }}) as customers,
        cast(
            coalesce(tier_figures.customers, 0)
            / nullif(cast(scheme_totals.customers as {{ tiering.type_double() }}), 0)
            as {{ tiering.type_double() }}
        ) as customer_share,
        cast(coalesce(tier_figures.revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(
            cast(coalesce(tier_figures.revenue, 0) as {{ tiering.type_double() }})
            / nullif(cast(scheme_totals.revenue as {{ tiering.type_double() }}), 0)
            as {{ tiering.type_double() }}
        ) as revenue_share,
        cast(
            cast(tier_figures.revenue as {{ tiering.type_double() }})
            / nullif(tier_figures.customers, 0)
            as {{ dbt.type_numeric() }}
        ) as average_monetary
    from strategy_texts
    cross join run_as_of
    left join scheme_totals
        on strategy_texts.scheme = scheme_totals.scheme
    left join tier_figures
        on
            strategy_texts.scheme = tier_figures.scheme
            and strategy_texts.tier_code = tier_figures.tier_code
)

select * from final
