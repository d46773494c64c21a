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
    -- The pyramid ranks the buyers only (customers with a purchase on or before the as-of date).
    where last_purchase_date is not null
),

pyramid_values as (
    select
        customer_id,
        as_of_date,
        {{ tiering.pyramid_value('monetary', 'profit', tiering.setting('pyramid_basis')) }} as pyramid_value
    from customer_metrics
),

-- The rank, and the value held above, of each distinct value (macro value_ranks): a sort of the
-- distinct values, not of every customer.
value_ranks as (
    {{ tiering.value_ranks('pyramid_values', 'pyramid_value', 'desc', partition_by='as_of_date') }}
),

-- The rank, the tier and the Pareto class depend on the value alone, so they are computed once
-- per distinct value (per customer, their decimal arithmetic took a third of the model's time).
value_tiers as (
    {{ tiering.pyramid_value_tiers(
        'value_ranks', tiering.setting('pyramid_cut_points'), tiering.setting('pareto_cut_points')
    ) }}
),

-- Only the cumulative share is per customer: its position within its tie group.
ranked as (
    select
        pyramid_values.customer_id,
        pyramid_values.as_of_date,
        pyramid_values.pyramid_value,
        value_tiers.revenue_rank,
        value_tiers.percent_rank,
        {{ tiering.cumulative_share(
            'pyramid_values.pyramid_value', 'value_tiers.positive_value_above',
            'value_tiers.positive_value_total', tie_breaker='pyramid_values.customer_id',
            partition_by='pyramid_values.as_of_date'
        ) }} as cumulative_revenue_share,
        value_tiers.pyramid_tier,
        value_tiers.pareto_class
    from pyramid_values
    left join value_tiers
        on {{ tiering.value_ranks_join(
            'pyramid_values', 'value_tiers', 'pyramid_value', partition_by='as_of_date') }}
),

final as (
    select
        customer_id,
        as_of_date,
        pyramid_value,
        cast(revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(percent_rank as {{ tiering.type_double() }}) as percent_rank,
        cumulative_revenue_share,
        pyramid_tier,
        pareto_class
    from ranked
)

select * from final
