{#- A table: customer_tiers and the tests of the pyramid read it, so the ranks and running sums
    over every customer run once per build (as a view they ran once per reader). -#}
{{ config(materialized='table') }}

with

customer_metrics as (
    select
        customer_id,
        as_of_date,
        monetary,
        profit
    from {{ ref('int_customer_metrics') }}
),

pyramid_values as (
    select
        customer_id,
        as_of_date,
        profit,
        {{ tiering.pyramid_value('monetary', 'profit', tiering.setting('pyramid_basis')) }} as pyramid_value
    from customer_metrics
),

ranked as (
    select
        customer_id,
        as_of_date,
        profit,
        pyramid_value,
        rank() over (
            partition by as_of_date order by pyramid_value desc nulls last
        ) as revenue_rank,
        count(*) over (partition by as_of_date) as customer_count,
        {{ tiering.cumulative_share(
            'pyramid_value', partition_by='as_of_date'
        ) }} as cumulative_revenue_share,
        {{ tiering.pareto_class(
            'pyramid_value', tiering.setting('pareto_cut_points'), partition_by='as_of_date'
        ) }} as pareto_class
    from pyramid_values
),

final as (
    select
        customer_id,
        as_of_date,
        profit,
        pyramid_value,
        cast(revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(
            case
                when customer_count = 1 then 0
                else (revenue_rank - 1) / cast(customer_count - 1 as {{ tiering.type_double() }})
            end as {{ tiering.type_double() }}
        ) as percent_rank,
        cumulative_revenue_share,
        {{ tiering.pyramid_tier(
            'revenue_rank', 'customer_count', tiering.setting('pyramid_cut_points')
        ) }} as pyramid_tier,
        pareto_class
    from ranked
)

select * from final
