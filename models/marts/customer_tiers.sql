with

rfm_scores as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        profit,
        lifetime_revenue,
        r_score,
        f_score,
        m_score,
        rfm_cell
    from {{ ref('int_customer_rfm_scores') }}
),

pyramid as (
    select
        customer_id,
        revenue_rank,
        percent_rank,
        cumulative_revenue_share,
        pyramid_tier,
        pareto_class
    from {{ ref('int_customer_pyramid') }}
),

segment_map as (
    select
        rfm_cell,
        rfm_segment
    from {{ ref('rfm_segment_map') }}
),

customers as (
    select
        customer_id,
        customer_type,
        region
    from {{ ref('stg_customers') }}
),

joined as (
    select
        rfm_scores.customer_id,
        rfm_scores.as_of_date,
        customers.customer_type,
        customers.region,
        rfm_scores.first_purchase_date,
        rfm_scores.last_purchase_date,
        rfm_scores.recency_days,
        rfm_scores.frequency,
        rfm_scores.monetary,
        rfm_scores.profit,
        rfm_scores.lifetime_revenue,
        rfm_scores.r_score,
        rfm_scores.f_score,
        rfm_scores.m_score,
        rfm_scores.rfm_cell,
        segment_map.rfm_segment,
        pyramid.revenue_rank,
        pyramid.percent_rank,
        pyramid.cumulative_revenue_share,
        pyramid.pyramid_tier,
        pyramid.pareto_class
    from rfm_scores
    inner join pyramid
        on rfm_scores.customer_id = pyramid.customer_id
    left join segment_map
        on rfm_scores.rfm_cell = segment_map.rfm_cell
    left join customers
        on rfm_scores.customer_id = customers.customer_id
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(profit as {{ dbt.type_numeric() }}) as profit,
        cast(lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        cast(r_score as {{ dbt.type_int() }}) as r_score,
        cast(f_score as {{ dbt.type_int() }}) as f_score,
        cast(m_score as {{ dbt.type_int() }}) as m_score,
        cast(rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(percent_rank as {{ tiering.type_double() }}) as percent_rank,
        cast(cumulative_revenue_share as {{ tiering.type_double() }}) as cumulative_revenue_share,
        cast(pyramid_tier as {{ dbt.type_string() }}) as pyramid_tier,
        cast(pareto_class as {{ dbt.type_string() }}) as pareto_class
    from joined
)

select * from final
