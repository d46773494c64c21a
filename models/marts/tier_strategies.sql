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
        rfm_segment
    from {{ ref('customer_tiers') }}
),

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
),

tier_figures as (
    select
        scheme,
        tier_code,
        count(*) as customers,
        sum(monetary) as revenue
    from customers_by_tier
    group by scheme, tier_code
),

run_totals as (
    select
        {{ tiering.as_of_date_or(tiering.setting('as_of_date'), 'max(as_of_date)') }} as as_of_date,
        count(*) as customers,
        sum(monetary) as revenue
    from customer_tiers
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
        run_totals.as_of_date,
        cast(coalesce(tier_figures.customers, 0) as {{ dbt.type_int() }}) as customers,
        cast(
            coalesce(tier_figures.customers, 0)
            / nullif(cast(run_totals.customers as {{ tiering.type_double() }}), 0)
            as {{ tiering.type_double() }}
        ) as customer_share,
        cast(coalesce(tier_figures.revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(
            cast(coalesce(tier_figures.revenue, 0) as {{ tiering.type_double() }})
            / nullif(cast(run_totals.revenue as {{ tiering.type_double() }}), 0)
            as {{ tiering.type_double() }}
        ) as revenue_share,
        cast(
            cast(tier_figures.revenue as {{ tiering.type_double() }})
            / nullif(tier_figures.customers, 0)
            as {{ dbt.type_numeric() }}
        ) as average_monetary
    from strategy_texts
    cross join run_totals
    left join tier_figures
        on
            strategy_texts.scheme = tier_figures.scheme
            and strategy_texts.tier_code = tier_figures.tier_code
)

select * from final
