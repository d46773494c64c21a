-- Every A customer's pyramid value is at least every B customer's, every B's at least every
-- C's, and every C's at least every D's; ranks agree with values. Returns each pair of adjacent
-- a tier above another that overlaps it.
with

customer_values as (
    select
        pyramid_tier,
        revenue_rank,
        {{ tiering.pyramid_value('monetary', 'profit', tiering.setting('pyramid_basis')) }} as pyramid_value
    from {{ ref('customer_tiers') }}
    where pyramid_tier is not null
),

tier_ranges as (
    select
        pyramid_tier,
        min(pyramid_value) as lowest_value,
        max(pyramid_value) as highest_value,
        min(revenue_rank) as best_rank,
        max(revenue_rank) as worst_rank
    from customer_values
    group by pyramid_tier
),

tier_pairs as (
    select
        upper_tier.pyramid_tier as upper_tier,
        lower_tier.pyramid_tier as lower_tier,
        upper_tier.lowest_value as upper_lowest_value,
        lower_tier.highest_value as lower_highest_value,
        upper_tier.worst_rank as upper_worst_rank,
        lower_tier.best_rank as lower_best_rank
    from tier_ranges as upper_tier
    inner join tier_ranges as lower_tier
        on upper_tier.pyramid_tier < lower_tier.pyramid_tier
)

select *
from tier_pairs
where
    upper_lowest_value < lower_highest_value
    or upper_worst_rank >= lower_best_rank
