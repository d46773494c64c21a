{#- One row per tier of the pyramid, and a last row 'none' for the customers with clean transactions
    but no purchase (refunds only), so that the rows' revenue adds up to the clean amounts of the
    window. Shares are of the pyramid (the buyers and their revenue); the none row, outside it,
    has none. With a cost in the input, each row also has its profit and the customers whose
    profit is zero or negative (document 004: about half of all customers bring no profit). -#}
with

pyramid_tiers as (
    select
        tier_code as pyramid_tier,
        tier_order
    from {{ ref('tier_strategy_texts') }}
    where scheme = 'pyramid_tier'
),

summary_rows as (
    select
        pyramid_tier,
        tier_order,
        1 as is_in_pyramid
    from pyramid_tiers

    union all

    select
        'none' as pyramid_tier,
        coalesce(max(tier_order), 0) + 1 as tier_order,
        0 as is_in_pyramid
    from pyramid_tiers
),

-- The pyramid's figures (mart segment_evaluation): the tiers' rows, and the row of the customers
-- it does not classify (segment null) as 'none', of whom only those with transactions count here.
pyramid_figures as (
    select
        as_of_date,
        customers_with_transactions as customers,
        revenue,
        min_monetary,
        max_monetary,
        profit,
        unprofitable_customers,
        coalesce(segment, 'none') as pyramid_tier
    from {{ ref('segment_evaluation') }}
    where scheme = 'pyramid_tier'
),

run_totals as (
    select
        {{ tiering.as_of_date_or(tiering.setting('as_of_date'), 'max(as_of_date)') }} as as_of_date,
        sum(case when pyramid_tier <> 'none' then customers else 0 end) as customers,
        sum(case when pyramid_tier <> 'none' then revenue else 0 end) as revenue,
        -- Profit is null in every row when the input has no cost.
        count(profit) > 0 as has_profit
    from pyramid_figures
),

tiers_with_figures as (
    select
        summary_rows.pyramid_tier,
        summary_rows.tier_order,
        summary_rows.is_in_pyramid,
        run_totals.as_of_date,
        coalesce(pyramid_figures.customers, 0) as customers,
        coalesce(pyramid_figures.revenue, 0) as revenue,
        pyramid_figures.min_monetary,
        pyramid_figures.max_monetary,
        case when run_totals.has_profit then coalesce(pyramid_figures.profit, 0) end as profit,
        case
            when run_totals.has_profit then coalesce(pyramid_figures.unprofitable_customers, 0)
        end as unprofitable_customers,
        cast(run_totals.customers as {{ tiering.type_double() }}) as total_customers,
        cast(run_totals.revenue as {{ tiering.type_double() }}) as total_revenue
    from summary_rows
    cross join run_totals
    left join pyramid_figures
        on summary_rows.pyramid_tier = pyramid_figures.pyramid_tier
),

cumulated as (
    select
        *,
        sum(customers * is_in_pyramid) over (
            order by tier_order asc rows between unbounded preceding and current row
        ) as customers_to_tier,
        sum(revenue * is_in_pyramid) over (
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
        cast(
            case when is_in_pyramid = 1 then customers / nullif(total_customers, 0) end
            as {{ tiering.type_double() }}
        ) as customer_share,
        cast(
            case when is_in_pyramid = 1 then customers_to_tier / nullif(total_customers, 0) end
            as {{ tiering.type_double() }}
        ) as cumulative_customer_share,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(
            case
                when is_in_pyramid = 1
                    then cast(revenue as {{ tiering.type_double() }}) / nullif(total_revenue, 0)
            end
            as {{ tiering.type_double() }}
        ) as revenue_share,
        cast(
            case
                when is_in_pyramid = 1
                    then cast(revenue_to_tier as {{ tiering.type_double() }}) / nullif(total_revenue, 0)
            end
            as {{ tiering.type_double() }}
        ) as cumulative_revenue_share,
        cast(min_monetary as {{ dbt.type_numeric() }}) as min_monetary,
        cast(max_monetary as {{ dbt.type_numeric() }}) as max_monetary,
        cast(
            cast(revenue as {{ tiering.type_double() }}) / nullif(customers, 0)
            as {{ dbt.type_numeric() }}
        ) as average_monetary,
        cast(profit as {{ dbt.type_numeric() }}) as profit,
        cast(unprofitable_customers as {{ dbt.type_int() }}) as unprofitable_customers,
        cast(
            unprofitable_customers / nullif(cast(customers as {{ tiering.type_double() }}), 0)
            as {{ tiering.type_double() }}
        ) as unprofitable_customer_share,
        cast('{{ tiering.setting('pyramid_basis') }}' as {{ dbt.type_string() }}) as pyramid_basis
    from cumulated
)

select * from final
