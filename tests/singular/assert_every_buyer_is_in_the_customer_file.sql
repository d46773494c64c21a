-- Warns, when a customer file is given, about the customers of the transactions that it does not
-- list: they are tiered like the others, with no customer attributes (type, region, ...). Returns
-- one row with their number and an example. Fix: export the customer file with the transactions,
-- or check that both use the same customer ids.
{{ config(severity='warn') }}

with

buyers as (
    select customer_id
    from {{ ref('int_customer_metrics') }}
),

listed_customers as (
    select customer_id
    from {{ ref('stg_customers') }}
),

unlisted_buyers as (
    select buyers.customer_id
    from buyers
    left join listed_customers
        on buyers.customer_id = listed_customers.customer_id
    where listed_customers.customer_id is null
),

summary as (
    select
        count(*) as unlisted_customers,
        min(customer_id) as example_customer_id
    from unlisted_buyers
)

select *
from summary
where
    unlisted_customers > 0
    and exists (select 1 from listed_customers)
