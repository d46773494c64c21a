{#- customer_tier_history in long form: one row per customer, period end and scheme (macro
    segment_schemes), with the customer's segment in the scheme (null: not classified by it), so
    that the migrations, the KPIs and the back-test are written once for every scheme. A view: its
    readers filter the period ends they compute. -#}

with

customer_tier_history as (
    select
        customer_id,
        as_of_date,
        period_revenue,
        period_purchases,
        computed_at,
        {{ tiering.segment_schemes() | join(',\n        ') }}
    from {{ ref('customer_tier_history') }}
),

customer_segments as (
    {{ tiering.scheme_segments(
        'customer_tier_history',
        ['customer_id', 'as_of_date', 'period_revenue', 'period_purchases', 'computed_at']
    ) }}
)

select * from customer_segments
