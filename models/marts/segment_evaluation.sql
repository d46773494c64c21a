{#- Segment evaluation (document 001, step 5), and the one place where the figures of every
    segment are computed: tier_strategies and pyramid_summary read them from here. One row per
    segment of each scheme (the tiers of the seed tier_strategy_texts, and any other value found
    in the data), and one row (segment null) for the customers a scheme does not classify, so that
    each scheme's rows count every customer once. Flags: too small to act on (fewer customers than
    segment_min_customers) and indistinct from the next segment of the scheme (mean recency,
    frequency and monetary value each within segment_min_difference of its, relatively). -#}
{%- set min_customers = tiering.setting('segment_min_customers') %}
{#- Called without its package, so that a unit test can override it. #}
{%- set value_scheme_names = value_schemes() %}
{%- set min_difference = tiering.decimal_literal(tiering.setting('segment_min_difference')) %}

with

seed_segments as (
    select
        scheme,
        tier_code as segment,
        tier_order
    from {{ ref('tier_strategy_texts') }}

    union all

    -- The tiers of value schemes that the data decides (the K-means clusters).
    select
        scheme,
        tier_code as segment,
        tier_order
    from {{ ref('int_value_scheme_texts') }}
),

customer_tiers as (
    select
        customer_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        profit,
        r_score,
        f_score,
        m_score,
        pyramid_tier,
        rfm_segment,
        lifecycle_stage,
        value_loyalty_grade,
        b2b_segment
    from {{ ref('customer_tiers') }}
),

value_segments as (
    select
        customer_id,
        scheme,
        segment
    from {{ ref('int_value_scheme_segments') }}
),

-- Each customer once per scheme, with its segment in the scheme (null: not classified by it).
-- A scheme is a column of customer_tiers named after it (macro segment_schemes), or a value
-- scheme of int_value_scheme_segments (macro value_schemes).
customers_by_segment as (
    {%- for scheme in tiering.segment_schemes() %}
        select
            '{{ scheme }}' as scheme,
            {{ scheme }} as segment,
            recency_days,
            frequency,
            monetary,
            profit,
            r_score,
            f_score,
            m_score
        from customer_tiers
        {%- if not loop.last or value_scheme_names %}

            union all
        {% endif %}
    {%- endfor %}
    {%- for scheme in value_scheme_names %}

        -- A value scheme (macro value_schemes): every customer, classified when a buyer.
        select
            '{{ scheme }}' as scheme,
            value_segments.segment,
            customer_tiers.recency_days,
            customer_tiers.frequency,
            customer_tiers.monetary,
            customer_tiers.profit,
            customer_tiers.r_score,
            customer_tiers.f_score,
            customer_tiers.m_score
        from customer_tiers
        left join value_segments
            on
                customer_tiers.customer_id = value_segments.customer_id
                and value_segments.scheme = '{{ scheme }}'
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}
),

segment_figures as (
    select
        scheme,
        segment,
        count(*) as customers,
        count(monetary) as customers_with_transactions,
        coalesce(sum(monetary), 0) as revenue,
        sum(profit) as profit,
        sum(case when profit <= 0 then 1 else 0 end) as unprofitable_customers,
        min(monetary) as min_monetary,
        max(monetary) as max_monetary,
        -- Exact averages (of integers and decimals), made doubles after: a sum of doubles would
        -- depend on the order of the rows.
        cast(avg(recency_days) as {{ tiering.type_double() }}) as mean_recency_days,
        cast(avg(frequency) as {{ tiering.type_double() }}) as mean_frequency,
        cast(avg(monetary) as {{ tiering.type_double() }}) as mean_monetary,
        cast(avg(r_score) as {{ tiering.type_double() }}) as mean_r_score,
        cast(avg(f_score) as {{ tiering.type_double() }}) as mean_f_score,
        cast(avg(m_score) as {{ tiering.type_double() }}) as mean_m_score
    from customers_by_segment
    group by scheme, segment
),

run_as_of as (
    {{ tiering.as_of_date('customer_tiers', tiering.setting('as_of_date'), date_column='as_of_date') }}
),

-- Profit is null for every customer when the input has no cost.
cost_coverage as (
    select count(profit) > 0 as has_profit from customer_tiers
),

-- Every segment of the seed, with or without customers, and every segment found in the data.
segments as (
    select
        seed_segments.tier_order,
        segment_figures.min_monetary,
        segment_figures.max_monetary,
        segment_figures.mean_recency_days,
        segment_figures.mean_frequency,
        segment_figures.mean_monetary,
        segment_figures.mean_r_score,
        segment_figures.mean_f_score,
        segment_figures.mean_m_score,
        coalesce(seed_segments.scheme, segment_figures.scheme) as scheme,
        coalesce(seed_segments.segment, segment_figures.segment) as segment,
        coalesce(segment_figures.customers, 0) as customers,
        coalesce(segment_figures.customers_with_transactions, 0) as customers_with_transactions,
        coalesce(segment_figures.revenue, 0) as revenue,
        coalesce(segment_figures.profit, 0) as profit,
        coalesce(segment_figures.unprofitable_customers, 0) as unprofitable_customers
    from seed_segments
    full outer join segment_figures
        on
            seed_segments.scheme = segment_figures.scheme
            and seed_segments.segment = segment_figures.segment
),

-- Shares are of the customers, revenue and profit that the scheme classifies.
scheme_totals as (
    select
        scheme,
        sum(customers) as customers,
        sum(revenue) as revenue,
        sum(profit) as profit
    from segments
    where segment is not null
    group by scheme
),

-- The segments that can be compared: classified, with buyers, in the seed's order. Each is
-- compared with the next of its scheme.
comparable as (
    select
        scheme,
        segment,
        mean_recency_days,
        mean_frequency,
        mean_monetary,
        lead(segment) over (partition by scheme order by tier_order, segment) as next_segment,
        lead(mean_recency_days) over (partition by scheme order by tier_order, segment) as next_recency_days,
        lead(mean_frequency) over (partition by scheme order by tier_order, segment) as next_frequency,
        lead(mean_monetary) over (partition by scheme order by tier_order, segment) as next_monetary
    from segments
    where
        segment is not null
        and tier_order is not null
        and mean_recency_days is not null
),

-- Indistinct: each mean differs from the next segment's by at most segment_min_difference of
-- the larger of the two (in absolute value).
indistinct as (
    select
        scheme,
        segment,
        next_segment as indistinct_from
    from comparable
    where
        {{ tiering.is_within_share('mean_recency_days', 'next_recency_days', min_difference) }}
        and {{ tiering.is_within_share('mean_frequency', 'next_frequency', min_difference) }}
        and {{ tiering.is_within_share('mean_monetary', 'next_monetary', min_difference) }}
),

final as (
    select
        cast(segments.scheme as {{ dbt.type_string() }}) as scheme,
        cast(segments.segment as {{ dbt.type_string() }}) as segment,
        cast(segments.tier_order as {{ dbt.type_int() }}) as tier_order,
        cast(run_as_of.as_of_date as date) as as_of_date,
        cast(segments.customers as {{ dbt.type_int() }}) as customers,
        case
            when segments.segment is not null
                then {{ tiering.share_of('segments.customers', 'scheme_totals.customers') }}
        end as customer_share,
        cast(segments.customers_with_transactions as {{ dbt.type_int() }}) as customers_with_transactions,
        cast(segments.revenue as {{ dbt.type_numeric() }}) as revenue,
        case
            when segments.segment is not null
                then {{ tiering.share_of('segments.revenue', 'scheme_totals.revenue') }}
        end as revenue_share,
        cast(
            case when cost_coverage.has_profit then segments.profit end as {{ dbt.type_numeric() }}
        ) as profit,
        case
            when cost_coverage.has_profit and segments.segment is not null
                then {{ tiering.share_of('segments.profit', 'scheme_totals.profit') }}
        end as profit_share,
        cast(
            case when cost_coverage.has_profit then segments.unprofitable_customers end
            as {{ dbt.type_int() }}
        ) as unprofitable_customers,
        cast(segments.min_monetary as {{ dbt.type_numeric() }}) as min_monetary,
        cast(segments.max_monetary as {{ dbt.type_numeric() }}) as max_monetary,
        cast(segments.mean_recency_days as {{ tiering.type_double() }}) as mean_recency_days,
        cast(segments.mean_frequency as {{ tiering.type_double() }}) as mean_frequency,
        cast(segments.mean_monetary as {{ tiering.type_double() }}) as mean_monetary,
        cast(segments.mean_r_score as {{ tiering.type_double() }}) as mean_r_score,
        cast(segments.mean_f_score as {{ tiering.type_double() }}) as mean_f_score,
        cast(segments.mean_m_score as {{ tiering.type_double() }}) as mean_m_score,
        (
            segments.segment is not null
            and segments.customers > 0
            and segments.customers < {{ min_customers }}
        ) as is_too_small,
        indistinct.segment is not null as is_indistinct,
        cast(indistinct.indistinct_from as {{ dbt.type_string() }}) as indistinct_from
    from segments
    cross join run_as_of
    cross join cost_coverage
    left join scheme_totals
        on segments.scheme = scheme_totals.scheme
    left join indistinct
        on
            segments.scheme = indistinct.scheme
            and segments.segment = indistinct.segment
)

select * from final
