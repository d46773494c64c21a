{#- Every raw transaction row with the one reason it is rejected for (null when clean): the first
    rule it breaks (base_transaction_rows), else duplicate_transaction_id (duplicate_line under
    transaction_grain: line) when it is a later copy (base_transaction_copies). What the input
    holds is checked on its counts by file and reason (base_transaction_reject_counts). -#}
{%- set duplicate_reason = 'duplicate_line' if tiering.setting('transaction_grain') == 'line'
    else 'duplicate_transaction_id' %}

with

transaction_rows as (
    select
        source_file,
        load_version,
        loaded_at,
        raw_row_number,
        transaction_id,
        line_id,
        line_key,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category,
        status,
        transaction_date_text,
        amount_text,
        cost_text,
        row_reject_reason
    from {{ ref('base_transaction_rows') }}
),

later_copies as (
    select
        source_file,
        raw_row_number
    from {{ ref('base_transaction_copies') }}
    where copy_number > 1
),

final as (
    select
        transaction_rows.source_file,
        transaction_rows.load_version,
        transaction_rows.loaded_at,
        transaction_rows.raw_row_number,
        transaction_rows.transaction_id,
        transaction_rows.line_id,
        transaction_rows.line_key,
        transaction_rows.customer_id,
        transaction_rows.transaction_date,
        transaction_rows.amount,
        transaction_rows.cost,
        transaction_rows.quantity,
        transaction_rows.channel,
        transaction_rows.product_category,
        transaction_rows.status,
        transaction_rows.transaction_date_text,
        transaction_rows.amount_text,
        transaction_rows.cost_text,
        coalesce(
            transaction_rows.row_reject_reason,
            case when later_copies.raw_row_number is not null then '{{ duplicate_reason }}' end
        ) as reject_reason
    from transaction_rows
    left join later_copies
        on
            transaction_rows.source_file = later_copies.source_file
            and transaction_rows.raw_row_number = later_copies.raw_row_number
)

select * from final
