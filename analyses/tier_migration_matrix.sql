-- The migration matrix of one scheme (var `scheme`, the pyramid by default) between the two latest
-- period ends: one row per tier at the earlier period end, one column per tier at the later one,
-- each cell the customers who made that move ("none": not classified by the scheme).
-- Compile it (dbt compile --select tier_migration_matrix --vars '{scheme: rfm_segment}') and run
-- the SQL in target/compiled in a BI tool or SQL client.
-- depends_on: {{ ref('tier_strategy_texts') }}
{%- set scheme = var('scheme', 'pyramid_tier') %}
{%- set codes = [] %}
{%- if execute %}
    {%- set codes = run_query(
        "select tier_code from " ~ ref('tier_strategy_texts') ~ " where scheme = '" ~ scheme
        ~ "' order by tier_order").columns[0].values() %}
{%- endif %}

with

latest_pair as (
    select max(to_as_of_date) as to_as_of_date
    from {{ ref('tier_migrations') }}
),

migrations as (
    select
        tier_migrations.from_as_of_date,
        tier_migrations.to_as_of_date,
        tier_migrations.from_tier_order,
        tier_migrations.customers,
        coalesce(tier_migrations.from_segment, 'none') as from_segment,
        coalesce(tier_migrations.to_segment, 'none') as to_segment
    from {{ ref('tier_migrations') }} as tier_migrations
    inner join latest_pair
        on tier_migrations.to_as_of_date = latest_pair.to_as_of_date
    where tier_migrations.scheme = '{{ scheme }}'
),

matrix as (
    select
        from_as_of_date,
        to_as_of_date,
        from_segment,
        {%- for code in codes | list + ['none'] %}
            sum(case when to_segment = '{{ code }}' then customers else 0 end) as to_{{ code }},
        {%- endfor %}
        sum(customers) as customers,
        min(from_tier_order) as from_tier_order
    from migrations
    group by from_as_of_date, to_as_of_date, from_segment
)

select * from matrix
order by from_tier_order, from_segment
