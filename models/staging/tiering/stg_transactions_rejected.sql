{#- Every rejected raw row with its reason; a duplicate also names the row it is a copy of (the
    copy that was kept), so that it can be traced in the input files. -#}
with

rejected_transactions as (
    select
        source_file,
        raw_row_number,
        reject_reason,
        line_key,
        transaction_id,
        customer_id,
        transaction_date,
        transaction_date_text,
        amount_text,
        amount,
        cost_text,
        status
    from {{ ref('base_transactions') }}
    where reject_reason is not null
),

copies as (
    select
        source_file,
        raw_row_number,
        line_key,
        copy_number
    from {{ ref('base_transaction_copies') }}
),

final as (
    select
        rejected_transactions.source_file,
        rejected_transactions.raw_row_number,
        rejected_transactions.reject_reason,
        rejected_transactions.line_key,
        rejected_transactions.transaction_id,
        rejected_transactions.customer_id,
        rejected_transactions.transaction_date,
        rejected_transactions.transaction_date_text,
        rejected_transactions.amount_text,
        rejected_transactions.amount,
        rejected_transactions.cost_text,
        rejected_transactions.status,
        kept_copies.source_file as duplicate_of_source_file,
        kept_copies.raw_row_number as duplicate_of_raw_row_number
    from rejected_transactions
    left join copies as later_copies
        on
            rejected_transactions.source_file = later_copies.source_file
            and rejected_transactions.raw_row_number = later_copies.raw_row_number
            and later_copies.copy_number > 1
    left join copies as kept_copies
        on
            later_copies.line_key = kept_copies.line_key
            and kept_copies.copy_number = 1
)

select * from final
