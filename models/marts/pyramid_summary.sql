with

pyramid_tiers as (
    select
        tier_code as pyramid_tier,
        tier_order
    from {{ ref('tier_strategy_texts') }}
    where scheme = 'pyramid_tier'
),

customer_tiers as (
    select
        as_of_date,
        monetary,
        pyramid_tier
    from {{ ref('customer_tiers') }}
),

tier_figures as (
    select
        pyramid_tier,
        count(*) as customers,
        sum(monetary) as revenue,
        min(monetary) as min_monetary,
        max(monetary) as max_monetary
    from customer_tiers
    group by pyramid_tier
),

run_totals as (
    select
        {{ tiering.as_of_date_or(tiering.setting('as_of_date'), 'max(as_of_date)') }} as as_of_date,
        count(*) as customers,
        sum(monetary) as revenue
    from customer_tiers
),

tiers_with_figures as (
    select
        pyramid_tiers.pyramid_tier,
        pyramid_tiers.tier_order,
        run_totals.as_of_date,
        coalesce(tier_figures.customers, 0) as customers,
        coalesce(tier_figures.revenue, 0) as revenue,
        tier_figures.min_monetary,
        tier_figures.max_monetary,
        cast(run_totals.customers as {{ tiering.type_double() }}) as total_customers,
        cast(run_totals.revenue as {{ tiering.type_double() }}) as total_revenue
    from pyramid_tiers
    cross join run_totals
    left join tier_figures
        on pyramid_tiers.pyramid_tier = tier_figures.pyramid_tier
),

cumulated as (
    select
        *,
        sum(customers) over (
            order by tier_order asc rows between unbounded preceding and current row
        ) as customers_to_tier,
        sum(revenue) over (
            order by tier_order asc rows between unbounded preceding and current row
        ) as revenue_to_tier
    from tiers_with_figures
),

final as (
    select
        cast(pyramid_tier as {{ dbt.type_string() }}) as pyramid_tier,
        cast(tier_order as {{ dbt.type_int() }}) as tier_order,
        cast(as_of_date as date) as as_of_date,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(customers / nullif(total_customers, 0) as {{ tiering.type_double() }}) as customer_share,
        cast(customers_to_tier / nullif(total_customers, 0) as {{ tiering.type_double() }})
            as cumulative_customer_share,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(
            cast(revenue as {{ tiering.type_double() }}) / nullif(total_revenue, 0)
            as {{ tiering.type_double() }}
        ) as revenue_share,
        cast(
            cast(revenue_to_tier as {{ tiering.type_double() }}) / nullif(total_revenue, 0)
            as {{ tiering.type_double() }}
        ) as cumulative_revenue_share,
        cast(min_monetary as {{ dbt.type_numeric() }}) as min_monetary,
        cast(max_monetary as {{ dbt.type_numeric() }}) as max_monetary,
        cast(
            cast(revenue as {{ tiering.type_double() }}) / nullif(customers, 0)
            as {{ dbt.type_numeric() }}
        ) as average_monetary
    from cumulated
)

select * from final
