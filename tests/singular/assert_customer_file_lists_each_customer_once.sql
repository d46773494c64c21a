-- Warns about customers listed more than once in the customer file: stg_customers keeps one row of
-- each (the earliest signup; see its description), the others are dropped. One row per such
-- customer id. Read only when the customer file changed since its tests passed. Fix: deduplicate
-- the customer export.
{{ config(severity='warn', where='__customers_to_verify__') }}

with

listed_ids as (
    select nullif(trim(customer_id), '') as customer_id
    from {{ ref('base_tiering__raw_customers') }}
),

repeated_ids as (
    select
        customer_id,
        count(*) as listings
    from listed_ids
    where customer_id is not null
    group by customer_id
    having count(*) > 1
)

select * from repeated_ids
