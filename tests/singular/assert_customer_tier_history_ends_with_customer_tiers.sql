{#- The latest period end of customer_tier_history is the as-of date of customer_tiers, and its rows
    are customer_tiers' rows: computed apart, by the same macros, they must agree on every
    customer and column they share. A failing row is a customer's row found on one side only. -#}
{%- set columns = [
    'customer_id', 'as_of_date', 'first_purchase_date', 'last_purchase_date', 'recency_days', 'frequency',
    'monetary', 'profit', 'lifetime_revenue', 'tenure_days', 'lifetime_purchases', 'r_score', 'f_score',
    'm_score', 'rfm_cell', 'rfm_segment', 'pyramid_value', 'revenue_rank', 'percent_rank',
    'cumulative_revenue_share', 'pyramid_tier', 'pareto_class', 'lifecycle_stage', 'value_loyalty_grade',
    'b2b_segment'] %}

with

latest_history as (
    select {{ columns | join(', ') }}
    from {{ ref('customer_tier_history') }} as history
    where
        history.as_of_date = (
            select max(periods.as_of_date) from {{ ref('customer_tier_history') }} as periods
        )
),

current_tiers as (
    select {{ columns | join(', ') }}
    from {{ ref('customer_tiers') }}
),

history_only as (
    select {{ columns | join(', ') }} from latest_history
    except
    select {{ columns | join(', ') }} from current_tiers
),

current_only as (
    select {{ columns | join(', ') }} from current_tiers
    except
    select {{ columns | join(', ') }} from latest_history
),

mismatches as (
    select
        'customer_tier_history only' as found_in,
        {{ columns | join(', ') }}
    from history_only
    union all
    select
        'customer_tiers only' as found_in,
        {{ columns | join(', ') }}
    from current_only
)

select * from mismatches
