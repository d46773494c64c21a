{#- Every raw transaction row, typed, with the one reason it is rejected for (null when clean).
    The rules and their order are in _staging__models.yml and the seed reject_reasons. -#}
{%- set earliest_valid_date = tiering.date_literal(
    tiering.setting('earliest_valid_date'), 'earliest_valid_date') %}
{%- set run_date = tiering.date_literal(run_started_at.strftime('%Y-%m-%d'), 'run date') %}
with

source as (
    select
        {{ tiering.source_columns(source('tiering', 'raw_transactions'), 'raw_transactions') }}
    from {{ source('tiering', 'raw_transactions') }}
),

trimmed as (
    select
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(transaction_date), '') as transaction_date_text,
        nullif(trim(amount), '') as amount_text,
        nullif(trim(cost), '') as cost_text,
        nullif(trim(quantity), '') as quantity_text,
        nullif(trim(channel), '') as channel,
        nullif(trim(product_category), '') as product_category,
        nullif(lower(trim(status)), '') as status
    from source
),

typed as (
    select
        transaction_id,
        customer_id,
        transaction_date_text,
        amount_text,
        cost_text,
        quantity_text,
        channel,
        product_category,
        status,
        {{ tiering.parse_date('transaction_date_text') }} as transaction_date,
        {{ tiering.parse_decimal('amount_text') }} as amount,
        {{ tiering.parse_decimal('cost_text') }} as cost,
        {{ tiering.parse_decimal('quantity_text') }} as quantity
    from trimmed
),

flagged as (
    select
        *,
        case
            when transaction_id is null then 'missing_transaction_id'
            when customer_id is null then 'missing_customer_id'
            when transaction_date_text is null then 'missing_transaction_date'
            when transaction_date is null then 'unparseable_transaction_date'
            when transaction_date < {{ earliest_valid_date }} then 'transaction_date_too_early'
            when transaction_date > {{ run_date }} then 'transaction_date_in_future'
            when amount_text is null then 'missing_amount'
            when amount is null then 'non_numeric_amount'
            when status = 'cancelled' then 'cancelled'
        end as row_reject_reason
    from typed
),

numbered as (
    select
        *,
        row_number() over (
            order by
                transaction_id asc nulls last,
                transaction_date asc nulls last,
                amount asc nulls last,
                customer_id asc nulls last,
                cost_text asc nulls last,
                quantity_text asc nulls last,
                channel asc nulls last,
                product_category asc nulls last,
                status asc nulls last,
                transaction_date_text asc nulls last,
                amount_text asc nulls last
        ) as raw_row_number
    from flagged
),

ranked_within_transaction_id as (
    select
        *,
        row_number() over (
            partition by transaction_id, row_reject_reason is null
            order by raw_row_number asc
        ) as copy_number
    from numbered
),

final as (
    select
        raw_row_number,
        transaction_id,
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
        coalesce(
            row_reject_reason,
            case when copy_number > 1 then 'duplicate_transaction_id' end
        ) as reject_reason
    from ranked_within_transaction_id
)

select * from final
