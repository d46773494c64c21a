{#- A table: customer_tiers and the tests of the scores read it, so the three sorts over every
    customer run once per build (as a view they ran once per reader, beside customer_tiers). -#}
{{ config(materialized='table') }}

with

customer_metrics as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue
    from {{ ref('int_customer_metrics') }}
),

scored as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue,
        {{ tiering.tie_consistent_ntile('recency_days desc', partition_by='as_of_date') }} as r_score,
        {{ tiering.tie_consistent_ntile('frequency asc', partition_by='as_of_date') }} as f_score,
        {{ tiering.tie_consistent_ntile('monetary asc', partition_by='as_of_date') }} as m_score
    from customer_metrics
),

final as (
    select
        customer_id,
        as_of_date,
        first_purchase_date,
        last_purchase_date,
        recency_days,
        frequency,
        monetary,
        lifetime_revenue,
        r_score,
        f_score,
        m_score,
        {{ tiering.rfm_cell('r_score', 'f_score', 'm_score') }} as rfm_cell
    from scored
)

select * from final
