-- Nothing is lost: every raw row is either clean (stg_transactions) or rejected with a reason
-- (stg_transactions_rejected), and the parsed amounts of both add up to those of the raw rows.
-- A failing row means rows were dropped or duplicated between the raw input and staging.
with

raw_rows as (
    select count(*) as row_count
    from {{ source('tiering', 'raw_transactions') }}
),

parsed_rows as (
    select
        count(*) as row_count,
        coalesce(sum(amount), 0) as amount
    from {{ ref('base_transactions') }}
),

clean_rows as (
    select
        count(*) as row_count,
        coalesce(sum(amount), 0) as amount
    from {{ ref('stg_transactions') }}
),

rejected_rows as (
    select
        count(*) as row_count,
        coalesce(sum(amount), 0) as amount
    from {{ ref('stg_transactions_rejected') }}
),

compared as (
    select
        raw_rows.row_count as raw_row_count,
        parsed_rows.row_count as parsed_row_count,
        clean_rows.row_count as clean_row_count,
        rejected_rows.row_count as rejected_row_count,
        parsed_rows.amount as parsed_amount,
        clean_rows.amount + rejected_rows.amount as clean_and_rejected_amount
    from raw_rows
    cross join parsed_rows
    cross join clean_rows
    cross join rejected_rows
)

select *
from compared
where
    raw_row_count != clean_row_count + rejected_row_count
    or parsed_row_count != raw_row_count
    or parsed_amount != clean_and_rejected_amount
