{#- One row per tier of each scheme: the editable texts of seed tier_strategy_texts with the
    figures of this run (mart segment_evaluation). A scheme is added by one more branch in
    segment_evaluation and its rows in the seed; the tiers of a value scheme that the data
    decides (the K-means clusters) come with their texts from int_value_scheme_texts. -#}
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
        contact_cadence,
        {{ dbt.concat(['scheme', "':'", 'tier_code']) }} as strategy_key
    from {{ ref('tier_strategy_texts') }}

    union all

    -- The tiers of value schemes that the data decides (the K-means clusters), with texts.
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
        contact_cadence,
        {{ dbt.concat(['scheme', "':'", 'tier_code']) }} as strategy_key
    from {{ ref('int_value_scheme_texts') }}
),

-- The figures of each segment (mart segment_evaluation). Shares there are of the customers and
-- the revenue that the scheme classifies.
segment_figures as (
    select
        scheme,
        segment as tier_code,
        as_of_date,
        customers,
        customer_share,
        revenue,
        revenue_share
    from {{ ref('segment_evaluation') }}
    where segment is not null
),

-- The customers whose one strategy (customer_tiers.strategy_key) is each strategy.
assigned as (
    select
        strategy_key,
        count(*) as assigned_customers
    from {{ ref('customer_tiers') }}
    group by strategy_key
),

run_as_of as (
    {{ tiering.as_of_date('segment_figures', tiering.setting('as_of_date'), date_column='as_of_date') }}
),

final as (
    select
        cast(strategy_texts.strategy_key as {{ dbt.type_string() }}) as strategy_key,
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
        cast(coalesce(segment_figures.customers, 0) as {{ dbt.type_int() }}) as customers,
        cast(segment_figures.customer_share as {{ tiering.type_double() }}) as customer_share,
        cast(coalesce(segment_figures.revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(segment_figures.revenue_share as {{ tiering.type_double() }}) as revenue_share,
        cast(
            cast(segment_figures.revenue as {{ tiering.type_double() }})
            / nullif(segment_figures.customers, 0)
            as {{ dbt.type_numeric() }}
        ) as average_monetary,
        cast(coalesce(assigned.assigned_customers, 0) as {{ dbt.type_int() }}) as assigned_customers
    from strategy_texts
    cross join run_as_of
    left join segment_figures
        on
            strategy_texts.scheme = segment_figures.scheme
            and strategy_texts.tier_code = segment_figures.tier_code
    left join assigned
        on strategy_texts.strategy_key = assigned.strategy_key
)

select * from final
