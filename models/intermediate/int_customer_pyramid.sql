{#- A table: customer_tiers and the tests of the pyramid read it, so the ranks and running sums
    over every customer are computed once per build (as a view they ran once per reader). -#}
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

-- The rank, and the value held above, of each distinct value (macro value_ranks): a sort of the
-- distinct values, not of every customer.
value_ranks as (
    {{ tiering.value_ranks('pyramid_values', 'pyramid_value', 'desc', partition_by='as_of_date') }}
),

ranked as (
    select
        pyramid_values.customer_id,
        pyramid_values.as_of_date,
        pyramid_values.profit,
        pyramid_values.pyramid_value,
        value_ranks.value_rank as revenue_rank,
        value_ranks.partition_rows as customer_count,
        {{ tiering.cumulative_share(
            'pyramid_values.pyramid_value', 'value_ranks.positive_value_above',
            'value_ranks.positive_value_total', tie_breaker='pyramid_values.customer_id',
            partition_by='pyramid_values.as_of_date'
        ) }} as cumulative_revenue_share,
        {{ tiering.pareto_class(
            'value_ranks.positive_value_above', 'value_ranks.positive_value_total',
            tiering.setting('pareto_cut_points')
        ) }} as pareto_class
    from pyramid_values
    left join value_ranks
        on {{ tiering.value_ranks_join(
            'pyramid_values', 'value_ranks', 'pyramid_value', partition_by='as_of_date') }}
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
