{#- Each scheme's migrations between two consecutive period ends count every customer known at
    both once: a failing row is a scheme and pair of period ends whose counts differ. -#}

with

period_ends as (
    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from {{ ref('int_period_ends') }}
),

history as (
    select
        customer_id,
        as_of_date
    from {{ ref('customer_tier_history') }}
),

known_at_both as (
    select
        period_ends.previous_as_of_date as from_as_of_date,
        period_ends.as_of_date as to_as_of_date,
        count(*) as customers
    from period_ends
    inner join history as later
        on period_ends.as_of_date = later.as_of_date
    inner join history as earlier
        on
            period_ends.previous_as_of_date = earlier.as_of_date
            and later.customer_id = earlier.customer_id
    group by period_ends.previous_as_of_date, period_ends.as_of_date
),

migrated as (
    select
        scheme,
        from_as_of_date,
        to_as_of_date,
        sum(customers) as customers
    from {{ ref('tier_migrations') }}
    group by scheme, from_as_of_date, to_as_of_date
),

schemes as (
    select distinct scheme from migrated
),

mismatches as (
    select
        schemes.scheme,
        known_at_both.from_as_of_date,
        known_at_both.to_as_of_date,
        known_at_both.customers as known_at_both,
        migrated.customers as migrated
    from known_at_both
    cross join schemes
    left join migrated
        on
            schemes.scheme = migrated.scheme
            and known_at_both.to_as_of_date = migrated.to_as_of_date
    where migrated.customers is null or migrated.customers <> known_at_both.customers
)

select * from mismatches
