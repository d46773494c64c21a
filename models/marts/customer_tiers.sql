{%- set tier_within = tiering.setting('tier_within') %}

with

-- Not materialized: the tiers within groups read the buyers again (a scan, not a copy).
rfm_scores as {{ tiering.materialization_hint('not materialized') }} (
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
        tenure_days,
        lifetime_purchases,
        recent_spend,
        recent_purchases,
        previous_spend,
        previous_purchases,
        r_score,
        f_score,
        m_score,
        rfm_cell
    from {{ ref('int_customer_rfm_scores') }}
),

pyramid as (
    select
        customer_id,
        pyramid_value,
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

-- The strategies that can be a customer's one strategy, by precedence (seed tier_strategy_texts).
strategy_precedence as (
    select
        scheme,
        tier_code,
        precedence,
        {{ dbt.concat(['scheme', "':'", 'tier_code']) }} as strategy_key
    from {{ ref('tier_strategy_texts') }}
    where precedence is not null
),

customers as {{ tiering.materialization_hint('not materialized') }} (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date
    from {{ ref('stg_customers') }}
),

-- Tiers within groups (var tier_within, docs/schemes.md): each buyer's RFM scores and pyramid
-- tier recomputed among the buyers of its group (e.g. its region), by the rules of the overall
-- ones (macros value_scores, pyramid_tier), because a VIP of a small region is invisible in a
-- national ranking. A buyer missing from the customer file is in the group of unknown
-- attributes. Without tier_within no buyer is grouped, and the customer file is joined but not
-- read (hence the noqa).
grouped as (
    select
        rfm_scores.customer_id,
        rfm_scores.recency_days,
        rfm_scores.frequency,
        rfm_scores.monetary,
        {{ tiering.pyramid_value(
            'rfm_scores.monetary', 'rfm_scores.profit', tiering.setting('pyramid_basis')
        ) }} as pyramid_value,
        {{ tiering.tier_group(tier_within, 'customers') }} as tier_group
    from rfm_scores
    left join customers  -- noqa: ST11
        on rfm_scores.customer_id = customers.customer_id
    where
        rfm_scores.last_purchase_date is not null
        and {{ '1 = 1' if tier_within else '1 = 0' }}
),

group_recency_scores as (
    {{ tiering.value_scores('grouped', 'recency_days', 'desc', partition_by='tier_group') }}
),

group_frequency_scores as (
    {{ tiering.value_scores('grouped', 'frequency', 'asc', partition_by='tier_group') }}
),

group_monetary_scores as (
    {{ tiering.value_scores('grouped', 'monetary', 'asc', partition_by='tier_group') }}
),

group_value_ranks as (
    {{ tiering.value_ranks('grouped', 'pyramid_value', 'desc', partition_by='tier_group') }}
),

group_value_tiers as (
    select
        tier_group,
        ranked_value,
        {{ tiering.pyramid_tier(
            'value_rank', 'partition_rows', tiering.setting('pyramid_cut_points')
        ) }} as pyramid_tier
    from group_value_ranks
),

group_tiers as (
    select
        grouped.customer_id,
        grouped.tier_group,
        group_recency_scores.score as group_r_score,
        group_frequency_scores.score as group_f_score,
        group_monetary_scores.score as group_m_score,
        group_value_tiers.pyramid_tier as group_pyramid_tier,
        {{ tiering.rfm_cell(
            'group_recency_scores.score', 'group_frequency_scores.score', 'group_monetary_scores.score'
        ) }} as group_rfm_cell
    from grouped
    left join group_recency_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'group_recency_scores', 'recency_days', partition_by='tier_group') }}
    left join group_frequency_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'group_frequency_scores', 'frequency', partition_by='tier_group') }}
    left join group_monetary_scores
        on {{ tiering.value_ranks_join(
            'grouped', 'group_monetary_scores', 'monetary', partition_by='tier_group') }}
    left join group_value_tiers
        on {{ tiering.value_ranks_join(
            'grouped', 'group_value_tiers', 'pyramid_value', partition_by='tier_group') }}
),

run_as_of as (
    {{ tiering.as_of_date('rfm_scores', tiering.setting('as_of_date'), date_column='as_of_date') }}
),

-- Every known customer: each customer with a clean transaction up to the as-of date (buyers, and
-- customers with refunds only), and the prospects of the customer file, known by then (signed up
-- on or before it, or on an unknown day) with no clean transaction up to it.
joined as (
    select
        customers.customer_type,
        customers.industry,
        customers.company_size,
        customers.ownership,
        customers.region,
        rfm_scores.first_purchase_date,
        rfm_scores.last_purchase_date,
        rfm_scores.recency_days,
        rfm_scores.frequency,
        rfm_scores.monetary,
        rfm_scores.profit,
        rfm_scores.lifetime_revenue,
        rfm_scores.tenure_days,
        rfm_scores.lifetime_purchases,
        rfm_scores.recent_spend,
        rfm_scores.recent_purchases,
        rfm_scores.previous_spend,
        rfm_scores.previous_purchases,
        rfm_scores.r_score,
        rfm_scores.f_score,
        rfm_scores.m_score,
        rfm_scores.rfm_cell,
        segment_map.rfm_segment,
        pyramid.pyramid_value,
        pyramid.revenue_rank,
        pyramid.percent_rank,
        pyramid.cumulative_revenue_share,
        pyramid.pyramid_tier,
        pyramid.pareto_class,
        group_tiers.tier_group,
        group_tiers.group_r_score,
        group_tiers.group_f_score,
        group_tiers.group_m_score,
        group_tiers.group_rfm_cell,
        group_segment_map.rfm_segment as group_rfm_segment,
        group_tiers.group_pyramid_tier,
        coalesce(rfm_scores.customer_id, customers.customer_id) as customer_id,
        coalesce(rfm_scores.as_of_date, run_as_of.as_of_date) as as_of_date
    from rfm_scores
    full outer join customers
        on rfm_scores.customer_id = customers.customer_id
    cross join run_as_of
    left join pyramid
        on rfm_scores.customer_id = pyramid.customer_id
    left join segment_map
        on rfm_scores.rfm_cell = segment_map.rfm_cell
    left join group_tiers
        on rfm_scores.customer_id = group_tiers.customer_id
    left join segment_map as group_segment_map
        on group_tiers.group_rfm_cell = group_segment_map.rfm_cell
    where
        rfm_scores.customer_id is not null
        or customers.signup_date is null
        or customers.signup_date <= run_as_of.as_of_date
),

lifecycle as (
    select
        *,
        {{ tiering.lifecycle_stage() }} as lifecycle_stage
    from joined
),

graded as (
    select
        *,
        {{ tiering.value_loyalty_grade() }} as value_loyalty_grade,
        {{ tiering.b2b_segment() }} as b2b_segment
    from lifecycle
),

-- The one strategy of each customer: of its tiers' strategies, the one of lowest precedence
-- (docs/schemes.md; precedences are unique, so the lowest names one strategy). 1e9 stands for
-- "no strategy in this scheme".
with_precedence as (
    select
        graded.*,
        least(
            {%- for scheme in tiering.segment_schemes() %}
                coalesce({{ scheme }}_strategy.precedence, 1000000000){{ ',' if not loop.last }}
            {%- endfor %}
        ) as first_precedence
    from
        graded
    {%- for scheme in tiering.segment_schemes() %}
        left join strategy_precedence as {{ scheme }}_strategy
            on
                {{ scheme }}_strategy.scheme = '{{ scheme }}'
                and graded.{{ scheme }} = {{ scheme }}_strategy.tier_code
    {%- endfor %}
),

chosen as (
    select
        with_precedence.*,
        strategy_precedence.strategy_key
    from with_precedence
    left join strategy_precedence
        on with_precedence.first_precedence = strategy_precedence.precedence
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(company_size as {{ dbt.type_string() }}) as company_size,
        cast(ownership as {{ dbt.type_string() }}) as ownership,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(profit as {{ dbt.type_numeric() }}) as profit,
        cast(lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue,
        cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(lifetime_purchases as {{ dbt.type_int() }}) as lifetime_purchases,
        cast(recent_spend as {{ dbt.type_numeric() }}) as recent_spend,
        cast(recent_purchases as {{ dbt.type_int() }}) as recent_purchases,
        cast(previous_spend as {{ dbt.type_numeric() }}) as previous_spend,
        cast(previous_purchases as {{ dbt.type_int() }}) as previous_purchases,
        cast(r_score as {{ dbt.type_int() }}) as r_score,
        cast(f_score as {{ dbt.type_int() }}) as f_score,
        cast(m_score as {{ dbt.type_int() }}) as m_score,
        cast(rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(pyramid_value as {{ dbt.type_numeric() }}) as pyramid_value,
        cast('{{ tiering.setting('pyramid_basis') }}' as {{ dbt.type_string() }}) as pyramid_basis,
        cast(revenue_rank as {{ dbt.type_int() }}) as revenue_rank,
        cast(percent_rank as {{ tiering.type_double() }}) as percent_rank,
        cast(cumulative_revenue_share as {{ tiering.type_double() }}) as cumulative_revenue_share,
        cast(pyramid_tier as {{ dbt.type_string() }}) as pyramid_tier,
        cast(pareto_class as {{ dbt.type_string() }}) as pareto_class,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(value_loyalty_grade as {{ dbt.type_string() }}) as value_loyalty_grade,
        cast(b2b_segment as {{ dbt.type_string() }}) as b2b_segment,
        cast(strategy_key as {{ dbt.type_string() }}) as strategy_key,
        cast(tier_group as {{ dbt.type_string() }}) as tier_group,
        cast(group_r_score as {{ dbt.type_int() }}) as group_r_score,
        cast(group_f_score as {{ dbt.type_int() }}) as group_f_score,
        cast(group_m_score as {{ dbt.type_int() }}) as group_m_score,
        cast(group_rfm_segment as {{ dbt.type_string() }}) as group_rfm_segment,
        cast(group_pyramid_tier as {{ dbt.type_string() }}) as group_pyramid_tier
    from chosen
)

select * from final
