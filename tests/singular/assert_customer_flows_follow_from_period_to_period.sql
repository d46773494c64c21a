{#- The leaky bucket carries over: the customers active in the period before each period end are
    the active customers of the period end before it. A failing row is a period end where they
    differ. -#}

with

flows as (
    select
        as_of_date,
        previous_as_of_date,
        previously_active_customers,
        active_customers
    from {{ ref('customer_flows') }}
),

mismatches as (
    select
        later.as_of_date,
        later.previously_active_customers,
        earlier.active_customers as active_customers_before
    from flows as later
    left join flows as earlier
        on later.previous_as_of_date = earlier.as_of_date
    where
        (later.previous_as_of_date is null and later.previously_active_customers <> 0)
        or (
            later.previous_as_of_date is not null
            and (earlier.as_of_date is null or earlier.active_customers <> later.previously_active_customers)
        )
)

select * from mismatches
