with

base_transactions as (
    select
        transaction_id,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category,
        reject_reason
    from {{ ref('base_transactions') }}
),

clean as (
    select
        transaction_id,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category
    from base_transactions
    where reject_reason is null
)

select * from clean
