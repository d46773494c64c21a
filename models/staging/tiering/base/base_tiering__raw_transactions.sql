{#- The raw transactions in one shape on every engine: every column of the input contract as
    text, an optional column the input lacks as null, the file each row came from (empty when the
    input does not say) and the row's number within it. Unit tests of base_transactions mock this
    model, so they never depend on which optional columns a user's input has. -#}
with

source as (
    select
        {{ tiering.source_columns('raw_transactions') }}
    from {{ source('tiering', 'raw_transactions') }}
),

numbered as (
    select
        transaction_id,
        line_id,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category,
        status,
        coalesce(source_file, '') as source_file,
        source_file_version,
        source_row_number,
        {{ tiering.raw_row_number('raw_transactions') }} as raw_row_number
    from source
)

select * from numbered
