{#- The clean transactions. Built after base_transaction_reject_counts (the reference below), whose
    post-hook and tests stop the run when the input holds nothing useful or too many rejects. #}
-- depends_on: {{ ref('base_transaction_reject_counts') }}
with

clean_transactions as (
    select
        source_file,
        raw_row_number,
        line_key,
        transaction_id,
        line_id,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category
    from {{ ref('base_transactions') }}
    where reject_reason is null
)

select * from clean_transactions
