-- Warns about transaction ids delivered more than once with different content (another customer,
-- day or amount): the first copy is kept and the others are rejected as duplicates, as for exact
-- copies, but such ids are more likely two transactions that an export numbered alike. One row per
-- such id, with its copies and how they differ. Fix: check the export's transaction ids.
{{ config(severity='warn') }}

with

copies as (
    select
        line_key,
        customer_id,
        transaction_date,
        amount
    from {{ ref('base_transaction_copies') }}
),

conflicting_ids as (
    select
        line_key,
        count(*) as copies,
        count(distinct customer_id) as customers,
        count(distinct transaction_date) as transaction_dates,
        count(distinct amount) as amounts
    from copies
    group by line_key
    having
        count(distinct customer_id) > 1
        or count(distinct transaction_date) > 1
        or count(distinct amount) > 1
)

select * from conflicting_ids
