{#- customer_tier_history in long form: one row per customer, period end and scheme (macro
    segment_schemes), with the customer's segment in the scheme (null: not classified by it), so
    that the migrations, the KPIs and the back-test are written once for every scheme. A view: its
    readers filter the period ends they compute. -#}

{%- set scheme_columns = [] %}
{%- for scheme in tiering.segment_schemes() %}
    {%- do scheme_columns.extend([scheme, 'previous_' ~ scheme]) %}
{%- endfor %}

with

customer_tier_history as (
    select
        customer_id,
        as_of_date,
        previous_as_of_date,
        is_known_before,
        period_revenue,
        period_purchases,
        previous_period_purchases,
        computed_at,
        {{ scheme_columns | join(',\n        ') }}
    from {{ ref('customer_tier_history') }}
),

tier_orders as (
    select
        scheme,
        tier_code,
        tier_order
    from {{ ref('tier_strategy_texts') }}
),

customer_segments as (
    {{ tiering.scheme_segments(
        'customer_tier_history',
        ['customer_id', 'as_of_date', 'previous_as_of_date', 'is_known_before', 'period_revenue',
         'period_purchases', 'previous_period_purchases', 'computed_at'],
        with_previous=true
    ) }}
),

-- With the orders of the segments in their scheme (seed tier_strategy_texts; 1 is the best).
ordered as (
    select
        customer_segments.customer_id,
        customer_segments.as_of_date,
        customer_segments.previous_as_of_date,
        customer_segments.is_known_before,
        customer_segments.scheme,
        customer_segments.segment,
        customer_segments.previous_segment,
        segment_orders.tier_order,
        previous_orders.tier_order as previous_tier_order,
        customer_segments.period_revenue,
        customer_segments.period_purchases,
        customer_segments.previous_period_purchases,
        customer_segments.computed_at
    from customer_segments
    left join tier_orders as segment_orders
        on
            customer_segments.scheme = segment_orders.scheme
            and customer_segments.segment = segment_orders.tier_code
    left join tier_orders as previous_orders
        on
            customer_segments.scheme = previous_orders.scheme
            and customer_segments.previous_segment = previous_orders.tier_code
)

select * from ordered
