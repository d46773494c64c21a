{#- The back-test of the tiers: do they predict? For each period end and segment of every scheme,
    what its customers brought over the next backtest_horizon_periods periods: their revenue and
    its share of the revenue of every classified customer, how many bought again (retention), and
    the lift (share of the next revenue over share of the customers). And per period end, the rank
    correlation (Spearman, average ranks for ties) between the pyramid value of the buyers and
    their next revenue. A period end whose horizon is not over yet has is_horizon_complete false.
    Incremental: a run computes the period ends whose rows, or those of a period end in their
    horizon, changed in the history; its post-hook logs the verdict of the latest complete one. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "{{ tiering.prune_period_ends(this, ['as_of_date']) }}",
        "{{ tiering.log_backtest_verdict(this) }}",
    ],
) }}
{%- set horizon = tiering.setting('backtest_horizon_periods') %}
{%- set changes = tiering.history_changes(this, 'as_of_date') %}

with

-- The period ends of the history (one scan of two columns), numbered.
distinct_ends as (
    select distinct
        as_of_date,
        is_complete
    from {{ ref('customer_tier_history') }}
),

period_ends as (
    select
        as_of_date,
        is_complete,
        row_number() over (order by as_of_date) as period_number
    from distinct_ends
),

-- Each period end with the period ends of its horizon (the next `horizon` ones that exist).
horizon_ends as (
    select
        period_ends.as_of_date,
        later.as_of_date as horizon_as_of_date,
        later.is_complete
    from period_ends
    inner join period_ends as later
        on
            period_ends.period_number < later.period_number
            and later.period_number <= period_ends.period_number + {{ horizon }}
),

horizons as (
    select
        as_of_date,
        max(horizon_as_of_date) as horizon_end_date,
        count(*) = {{ horizon }} and min(case when is_complete then 1 else 0 end) = 1 as is_horizon_complete
    from horizon_ends
    group by as_of_date
),

-- The period ends to compute: those whose own rows, or the rows of a period end of their
-- horizon, changed in the history.
periods as (
    select
        horizons.as_of_date,
        horizons.horizon_end_date,
        horizons.is_horizon_complete
    from horizons
    where horizons.as_of_date in (
        select horizon_ends.as_of_date
        from horizon_ends
        where
            {{ tiering.changed_end(changes, ['horizon_ends.as_of_date', 'horizon_ends.horizon_as_of_date']) }}
    )
),

-- The rows from the first period end to compute on: a customer known at a period end is known at
-- every later one, so its next rows are those of the next period ends.
customer_tier_history as (
    select
        customer_id,
        as_of_date,
        pyramid_value,
        period_revenue,
        period_purchases,
        computed_at,
        {{ tiering.segment_schemes() | join(',\n        ') }}
    from {{ ref('customer_tier_history') }}
    where as_of_date >= (select min(periods.as_of_date) from periods)
),

-- Each customer's revenue and purchases over the horizon: its next `horizon` rows.
forward_sums as (
    select
        *,
        sum(period_revenue) over (
            partition by customer_id order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as next_revenue,
        sum(period_purchases) over (
            partition by customer_id order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as next_purchases
    from customer_tier_history
),

customer_outcomes as (
    select forward_sums.*
    from forward_sums
    inner join periods
        on forward_sums.as_of_date = periods.as_of_date
),

customer_segments as (
    {{ tiering.scheme_segments(
        'customer_outcomes', ['as_of_date', 'next_revenue', 'next_purchases', 'computed_at']
    ) }}
),

segment_outcomes as (
    select
        as_of_date,
        scheme,
        segment,
        count(*) as customers,
        coalesce(sum(next_revenue), 0) as next_revenue,
        sum(case when next_purchases > 0 then 1 else 0 end) as retained_customers,
        max(computed_at) as source_computed_at
    from customer_segments
    group by as_of_date, scheme, segment
),

-- Shares of the classified customers of the scheme (segment null has none).
segment_shares as (
    select
        *,
        {{ tiering.share_of(
            'case when segment is not null then customers end',
            'sum(case when segment is not null then customers end) over (partition by as_of_date, scheme)'
        ) }} as customer_share,
        {{ tiering.share_of(
            'case when segment is not null then next_revenue end',
            'sum(case when segment is not null then next_revenue end) over (partition by as_of_date, scheme)'
        ) }} as next_revenue_share
    from segment_outcomes
),

-- Spearman's rank correlation of the buyers' pyramid value with their next revenue: Pearson's
-- correlation of their ranks, tied values sharing the average of their ranks. Ranks are doubled
-- (2 x rank + ties - 1, an integer) and summed exactly, so that the result does not depend on the
-- order in which an engine adds (a correlation is the same for doubled ranks).
buyer_ranks as (
    select
        as_of_date,
        2 * rank() over (partition by as_of_date order by pyramid_value)
        + count(*) over (partition by as_of_date, pyramid_value) - 1 as value_rank,
        2 * rank() over (partition by as_of_date order by next_revenue)
        + count(*) over (partition by as_of_date, next_revenue) - 1 as next_revenue_rank
    from customer_outcomes
    where pyramid_value is not null
),

rank_sums as (
    select
        as_of_date,
        count(*) as buyers,
        sum(cast(value_rank as {{ tiering.type_exact_integer() }})) as sum_x,
        sum(cast(next_revenue_rank as {{ tiering.type_exact_integer() }})) as sum_y,
        sum(cast(value_rank as {{ tiering.type_exact_integer() }}) * value_rank) as sum_xx,
        sum(cast(next_revenue_rank as {{ tiering.type_exact_integer() }}) * next_revenue_rank) as sum_yy,
        sum(cast(value_rank as {{ tiering.type_exact_integer() }}) * next_revenue_rank) as sum_xy
    from buyer_ranks
    group by as_of_date
),

-- None when either side is constant (one buyer, or equal next revenue). Kept within [-1, 1]
-- against rounding.
rank_correlations as (
    select
        as_of_date,
        case
            when buyers * sum_xx - sum_x * sum_x > 0 and buyers * sum_yy - sum_y * sum_y > 0
                then greatest(
                    -1.0,
                    least(
                        1.0,
                        cast(buyers * sum_xy - sum_x * sum_y as {{ tiering.type_double() }})
                        / sqrt(
                            cast(buyers * sum_xx - sum_x * sum_x as {{ tiering.type_double() }})
                            * cast(buyers * sum_yy - sum_y * sum_y as {{ tiering.type_double() }})
                        )
                    )
                )
        end as value_rank_correlation
    from rank_sums
),

final as (
    select
        cast(segment_shares.as_of_date as date) as as_of_date,
        cast(periods.horizon_end_date as date) as horizon_end_date,
        cast({{ horizon }} as {{ dbt.type_int() }}) as horizon_periods,
        periods.is_horizon_complete,
        cast(segment_shares.scheme as {{ tiering.type_contract_string() }}) as scheme,
        cast(segment_shares.segment as {{ tiering.type_contract_string() }}) as segment,
        cast(segment_shares.customers as {{ dbt.type_int() }}) as customers,
        cast(segment_shares.customer_share as {{ tiering.type_double() }}) as customer_share,
        cast(segment_shares.next_revenue as {{ dbt.type_numeric() }}) as next_revenue,
        cast(segment_shares.next_revenue_share as {{ tiering.type_double() }}) as next_revenue_share,
        cast(segment_shares.retained_customers as {{ dbt.type_int() }}) as retained_customers,
        {{ tiering.share_of('segment_shares.retained_customers', 'segment_shares.customers') }}
            as retention_rate,
        {{ tiering.share_of('segment_shares.next_revenue_share', 'segment_shares.customer_share') }} as lift,
        cast(rank_correlations.value_rank_correlation as {{ tiering.type_double() }})
            as value_rank_correlation,
        segment_shares.source_computed_at
    from segment_shares
    inner join periods
        on segment_shares.as_of_date = periods.as_of_date
    left join rank_correlations
        on segment_shares.as_of_date = rank_correlations.as_of_date
)

select * from final
