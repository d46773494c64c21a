-- A rejected duplicate names the copy that was kept, and only a duplicate names one: a failing row
-- is a duplicate that cannot be traced, or another reject that points at a copy. Only the rows that
-- can have changed since they last passed are read (macros/verified_files.sql).
with

rejected as (
    select
        rows_to_verify.source_file,
        rows_to_verify.raw_row_number,
        rows_to_verify.reject_reason,
        rows_to_verify.duplicate_of_raw_row_number
    from {{ tiering.rows_to_verify(ref('stg_transactions_rejected')) }} as rows_to_verify
)

select *
from rejected
where
    (
        reject_reason in ('duplicate_transaction_id', 'duplicate_line')
        and duplicate_of_raw_row_number is null
    )
    or (
        reject_reason not in ('duplicate_transaction_id', 'duplicate_line')
        and duplicate_of_raw_row_number is not null
    )
