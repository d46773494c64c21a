with

clean_transactions as (
    select
        source_file,
        raw_row_number,
        loaded_at,
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
