{#- Customer attributes, one row per customer. Personal data never leaves this model in clear
    text: name and phone are dropped, email is kept only as a keyed hash (HMAC-SHA256 with the
    secret TIERING_HASH_KEY; null without it) for matching. A table: its
    tests and customer_tiers read it, and the raw customers are a view over the file. Only the
    customers listed more than once are ranked, so a file of millions streams through instead of
    being sorted whole. Incremental: rebuilt only when the customer file (or a var that decides
    how it is read) changed since the last run, else left as it is. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ tiering.empty_if_outdated(this, 'raw_customers') }}",
) }}
{%- set is_up_to_date = is_incremental() and tiering.is_up_to_date(this, 'raw_customers') %}
with

raw_customers as {{ tiering.materialization_hint('not materialized') }} (
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

typed as {{ tiering.materialization_hint('not materialized') }} (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(customer_type)), '') as customer_type,
        nullif(trim(industry), '') as industry,
        nullif(lower(trim(company_size)), '') as company_size,
        nullif(lower(trim(ownership)), '') as ownership,
        nullif(trim(region), '') as region,
        {{ tiering.parse_date('trim(signup_date)', tiering.setting('date_formats')) }} as signup_date,
        {{ tiering.keyed_hash("nullif(lower(trim(email)), '')", hash_key()) }} as email_hash,
        nullif(trim(email), '') is not null as has_email
    from raw_customers
),

-- Customers listed more than once: the only ones that need a ranking.
ids_with_copies as (
    select nullif(trim(customer_id), '') as customer_id
    from raw_customers
    where nullif(trim(customer_id), '') is not null
    group by nullif(trim(customer_id), '')
    having count(*) > 1
),

ranked_copies as (
    select
        typed.*,
        row_number() over (
            partition by typed.customer_id
            order by
                typed.signup_date asc nulls last,
                {{ tiering.binary_text('typed.customer_type') }} asc nulls last,
                {{ tiering.binary_text('typed.industry') }} asc nulls last,
                {{ tiering.binary_text('typed.company_size') }} asc nulls last,
                {{ tiering.binary_text('typed.ownership') }} asc nulls last,
                {{ tiering.binary_text('typed.region') }} asc nulls last,
                {{ tiering.binary_text('typed.email_hash') }} asc nulls last
        ) as copy_number
    from typed
    inner join ids_with_copies
        on typed.customer_id = ids_with_copies.customer_id
),

one_row_per_customer as (
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date,
        email_hash,
        has_email
    from typed
    where
        customer_id is not null
        and customer_id not in (select ids_with_copies.customer_id from ids_with_copies)
    union all
    select
        customer_id,
        customer_type,
        industry,
        company_size,
        ownership,
        region,
        signup_date,
        email_hash,
        has_email
    from ranked_copies
    where copy_number = 1
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
        case when has_email then email_hash end as email_hash,
        '{{ tiering.input_version('raw_customers') if execute else '' }}' as input_version
    from one_row_per_customer
    where {{ '1 = 0' if is_up_to_date else '1 = 1' }}
)

select * from final
