{#- The raw customer file in one shape on every engine: every column of the input contract as
    text, an optional column the input lacks as null. Unit tests of stg_customers mock this model,
    so they never depend on which optional columns a user's input has. -#}
with

source as (
    select
        {{ tiering.source_columns('raw_customers') }}
    from {{ source('tiering', 'raw_customers') }}
),

numbered as (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date,
        name,
        email,
        phone,
        coalesce(source_file, '') as source_file,
        source_row_number,
        {{ tiering.raw_row_number('raw_customers') }} as raw_row_number
    from source
)

select * from numbered
