-- Nothing is lost: every raw input row is either clean (stg_transactions) or rejected with a reason
-- (stg_transactions_rejected), exactly once, and the amounts that parse add up to those of the raw
-- input. A failing row means staging dropped or duplicated rows of the input.
{%- set decimal_separator = tiering.setting('decimal_separator') %}
{%- set thousands_separator = tiering.setting('thousands_separator') %}

with

raw_rows as (
    select
        count(*) as row_count,
        coalesce(sum({{ tiering.parse_decimal('trim(amount)', decimal_separator, thousands_separator) }}), 0)
            as amount
    from {{ source('tiering', 'raw_transactions') }}
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
        clean_rows.row_count as clean_row_count,
        rejected_rows.row_count as rejected_row_count,
        raw_rows.amount as raw_amount,
        clean_rows.amount + rejected_rows.amount as clean_and_rejected_amount
    from raw_rows
    cross join clean_rows
    cross join rejected_rows
)

select *
from compared
where
    raw_row_count != clean_row_count + rejected_row_count
    or raw_amount != clean_and_rejected_amount
