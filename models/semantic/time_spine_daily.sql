{#- MetricFlow's time spine (models/semantic/_semantic__models.yml): one row per day from the first
    purchase to the as-of date, the days the semantic layer's metrics can fall on. Built from the
    data's own bounds, so it is as long as the history and no longer. -#}

with

customer_metrics as (
    select
        as_of_date,
        first_purchase_date
    from {{ ref('int_customer_metrics') }}
),

bounds as (
    select
        min(first_purchase_date) as first_day,
        max(as_of_date) as last_day
    from customer_metrics
),

-- Up to 65,536 days: 179 years.
day_numbers as (
    select generated_number - 1 as day_number
    from ({{ dbt.generate_series(65536) }}) as series
),

days as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.first_day') }} as date) as date_day,
        bounds.last_day
    from bounds
    cross join day_numbers
),

final as (
    select date_day
    from days
    where date_day <= last_day
)

select * from final
