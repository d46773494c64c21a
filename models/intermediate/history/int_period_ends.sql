{#- The period ends of the history: the last day of every period (var history_grain) from the one
    holding the first purchase to the one holding the as-of date, whose end is the as-of date
    itself; only the latest history_periods of them when that var is set. -#}
{{ config(materialized='table') }}
{%- set grain = tiering.setting('history_grain') %}
{%- set periods = tiering.setting('history_periods') %}

with

customer_metrics as (
    select
        as_of_date,
        first_purchase_date
    from {{ ref('int_customer_metrics') }}
),

bounds as (
    select
        max(as_of_date) as as_of_date,
        {{ tiering.period_start('min(first_purchase_date)', grain) }} as first_period_start
    from customer_metrics
),

-- Up to 10,000 periods: 190 years of weeks.
period_numbers as (
    select generated_number - 1 as period_number
    from ({{ dbt.generate_series(10000) }}) as series
),

periods as (
    select
        bounds.as_of_date,
        {{ tiering.periods_after('bounds.first_period_start', 'period_numbers.period_number', grain) }}
            as period_start,
        {{ tiering.periods_after('bounds.first_period_start', 'period_numbers.period_number + 1', grain) }}
            as next_period_start
    from bounds
    cross join period_numbers
),

period_ends as (
    select
        period_start,
        case
            when next_period_start <= as_of_date
                then cast({{ dbt.dateadd('day', -1, 'next_period_start') }} as date)
            else as_of_date
        end as as_of_date,
        next_period_start <= {{ dbt.dateadd('day', 1, 'as_of_date') }} as is_complete,
        row_number() over (order by period_start desc) as periods_back
    from periods
    where period_start <= as_of_date
),

final as (
    select
        as_of_date,
        period_start,
        is_complete,
        cast(periods_back - 1 as {{ dbt.type_int() }}) as periods_before_last,
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from period_ends
    {%- if periods is not none %}
    where periods_back <= {{ periods }}
    {%- endif %}
)

select * from final
