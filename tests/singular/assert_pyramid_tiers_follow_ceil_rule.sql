-- Tier sizes follow the ceil rule of document 004: with N customers in the pyramid (the buyers),
-- A holds exactly the ranks up to ceil(cut_a * N), B up to ceil(cut_b * N), C up to
-- ceil(cut_c * N), D the rest; ties share a rank, so a tie group crossing an edge stays whole in
-- the upper tier. Returns every customer whose tier disagrees with its rank.
{%- set cut_points = tiering.setting('pyramid_cut_points') %}
with

customer_tiers as (
    select
        customer_id,
        revenue_rank,
        pyramid_tier
    from {{ ref('customer_tiers') }}
    where last_purchase_date is not null
),

customer_count as (
    select count(*) as customers from customer_tiers
),

edges as (
    select
        ceil({{ tiering.decimal_literal(cut_points[0]) }} * customers) as last_rank_a,
        ceil({{ tiering.decimal_literal(cut_points[1]) }} * customers) as last_rank_b,
        ceil({{ tiering.decimal_literal(cut_points[2]) }} * customers) as last_rank_c
    from customer_count
),

expected as (
    select
        customer_tiers.customer_id,
        customer_tiers.revenue_rank,
        customer_tiers.pyramid_tier,
        case
            when customer_tiers.revenue_rank <= edges.last_rank_a then 'A'
            when customer_tiers.revenue_rank <= edges.last_rank_b then 'B'
            when customer_tiers.revenue_rank <= edges.last_rank_c then 'C'
            else 'D'
        end as expected_tier
    from customer_tiers
    cross join edges
)

select *
from expected
where pyramid_tier != expected_tier
