{#- The raw transactions in one shape on every engine: every column of the input contract as
    text, an optional column the input lacks as null. Unit tests of base_transactions mock this
    model, so they never depend on which optional columns a user's input has. -#}
with

source as (
    select
        {{ tiering.source_columns('raw_transactions') }}
    from {{ source('tiering', 'raw_transactions') }}
),

numbered as (
    select
        *,
        {{ tiering.raw_row_number('raw_transactions') }} as raw_row_number
    from source
)

select * from numbered
