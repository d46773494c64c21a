{#- Customer attributes, one row per customer. Personal data never leaves this model in clear
    text: name and phone are dropped, email is kept only as a hash for matching. A table: its
    tests and customer_tiers read it, and the raw customers are a view over the file. -#}
{{ config(materialized='table') }}
with

raw_customers as (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date,
        email
    from {{ ref('base_tiering__raw_customers') }}
),

typed as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(customer_type)), '') as customer_type,
        nullif(trim(industry), '') as industry,
        nullif(lower(trim(company_size)), '') as company_size,
        nullif(lower(trim(ownership)), '') as ownership,
        nullif(trim(region), '') as region,
        {{ tiering.parse_date('trim(signup_date)', tiering.setting('date_formats')) }} as signup_date,
        {{ dbt.hash('lower(trim(email))') }} as email_hash,
        nullif(trim(email), '') is not null as has_email
    from raw_customers
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by
                signup_date asc nulls last,
                {{ tiering.binary_text('customer_type') }} asc nulls last,
                {{ tiering.binary_text('industry') }} asc nulls last,
                {{ tiering.binary_text('company_size') }} asc nulls last,
                {{ tiering.binary_text('ownership') }} asc nulls last,
                {{ tiering.binary_text('region') }} asc nulls last,
                {{ tiering.binary_text('email_hash') }} asc nulls last
        ) as copy_number
    from typed
    where customer_id is not null
),

final as (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date,
        case when has_email then email_hash end as email_hash
    from ranked
    where copy_number = 1
)

select * from final
