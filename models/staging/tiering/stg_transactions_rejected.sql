with

rejected_transactions as (
    select
        source_file,
        raw_row_number,
        reject_reason,
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
)

select * from rejected_transactions
