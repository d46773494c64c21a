-- Nothing is lost: every raw input row is either clean (stg_transactions) or rejected with a reason
-- (stg_transactions_rejected), exactly once, and the amounts that parse add up to those of the raw
-- input, file by file. A failing row is a file whose rows staging dropped or duplicated. Only the
-- files not yet verified are read (macros/verified_files.sql): the others' rows are unchanged,
-- and the duplicate rule only moves a row between clean and rejected.
{%- set decimal_separator = tiering.setting('decimal_separator') %}
{%- set thousands_separator = tiering.setting('thousands_separator') %}

with

raw_rows as (
    select
        source_file,
        count(*) as row_count,
        coalesce(sum({{ tiering.parse_decimal('trim(amount)', decimal_separator, thousands_separator) }}), 0)
            as amount
    from {{ ref('base_tiering__raw_transactions') }}
    where {{ tiering.is_in_files_to_verify() }}
    group by source_file
),

staged_rows as (
    select
        source_file,
        amount
    from {{ ref('stg_transactions') }}
    where {{ tiering.is_in_files_to_verify() }}
    union all
    select
        source_file,
        amount
    from {{ ref('stg_transactions_rejected') }}
    where {{ tiering.is_in_files_to_verify() }}
),

staged as (
    select
        source_file,
        count(*) as row_count,
        coalesce(sum(amount), 0) as amount
    from staged_rows
    group by source_file
),

compared as (
    select
        coalesce(raw_rows.source_file, staged.source_file) as source_file,
        coalesce(raw_rows.row_count, 0) as raw_row_count,
        coalesce(staged.row_count, 0) as staged_row_count,
        coalesce(raw_rows.amount, 0) as raw_amount,
        coalesce(staged.amount, 0) as staged_amount
    from raw_rows
    full outer join staged
        on raw_rows.source_file = staged.source_file
)

select *
from compared
where
    raw_row_count != staged_row_count
    or raw_amount != staged_amount
