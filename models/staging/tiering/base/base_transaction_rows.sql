{#- Every raw transaction row (or order line), typed, with the first rule it breaks
    (row_reject_reason; null when it passes every rule but the duplicate rule, which
    base_transaction_copies applies). The rules and their order are in _base__models.yml and the
    seed reject_reasons.

    Incremental by input file: a run reads only the files it has not loaded in their current
    version (new files, files rewritten since, files holding rows dated after an earlier run date
    that has now come, and every file after a change of the vars that decide how rows are read);
    its pre-hook first deletes the rows of those files and of files gone from the input. The
    table equals that of a full build (--full-refresh). Each row is typed on its own, so the model
    streams from the files to the table at any size. -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ tiering.delete_replaced_files(this) }}",
) }}
{%- set earliest_valid_date = tiering.setting('earliest_valid_date') %}
{%- set earliest_valid_date_sql = tiering.date_literal(earliest_valid_date, 'earliest_valid_date')
    if earliest_valid_date is not none else 'cast(null as date)' %}
{%- set run_date = tiering.run_date() %}
{%- set date_formats = tiering.setting('date_formats') %}
{%- set decimal_separator = tiering.setting('decimal_separator') %}
{%- set thousands_separator = tiering.setting('thousands_separator') %}
{%- set is_line_grain = tiering.setting('transaction_grain') == 'line' %}
{%- set value_columns = [
    'transaction_id', 'line_id', 'customer_id', 'transaction_date_text', 'amount_text', 'cost_text',
    'quantity_text', 'channel', 'product_category', 'status'] %}
{#- Exact copies of a row have the same fingerprint: the md5 of every value, length-prefixed so
    that no two different rows concatenate to the same text. Written inline where it is needed
    (a case branch, a coalesce), so that engines hash only the rows that need it. -#}
{%- set row_fingerprint = dbt.hash(dbt.concat(tiering.length_prefixed(value_columns))) %}
{%- set line_key_sql = dbt.concat(['transaction_id', "'/'", 'coalesce(line_id, ' ~ row_fingerprint ~ ')'])
    if is_line_grain else 'transaction_id' %}
{%- set load_plan = tiering.load_plan(this) if is_incremental() else none %}
with

raw_transactions as {{ tiering.materialization_hint('not materialized') }} (
    select
        coalesce(source_file, '') as source_file,
        {{ tiering.load_version('source_file_version') }} as load_version,
        raw_row_number,
        transaction_id,
        line_id,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category,
        status
    from {{ ref('base_tiering__raw_transactions') }}
    where {{ tiering.is_in('source_file', load_plan.files_to_read) if load_plan else '1 = 1' }}
),

trimmed as {{ tiering.materialization_hint('not materialized') }} (
    select
        source_file,
        load_version,
        raw_row_number,
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(line_id), '') as line_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(transaction_date), '') as transaction_date_text,
        nullif(trim(amount), '') as amount_text,
        nullif(trim(cost), '') as cost_text,
        nullif(trim(quantity), '') as quantity_text,
        nullif(trim(channel), '') as channel,
        nullif(trim(product_category), '') as product_category,
        nullif(lower(trim(status)), '') as status
    from raw_transactions
),

-- A file without transaction ids (no such column, or every value empty) gets a surrogate per row:
-- its fingerprint. Exact duplicate rows then share an id and are caught as duplicates.
files_without_ids as (
    select source_file
    from trimmed
    group by source_file
    having count(transaction_id) = 0
),

identified as {{ tiering.materialization_hint('not materialized') }} (
    select
        trimmed.source_file,
        trimmed.load_version,
        trimmed.raw_row_number,
        case
            when files_without_ids.source_file is not null
                then {{ dbt.concat(["'row-'", row_fingerprint]) }}
            else trimmed.transaction_id
        end as transaction_id,
        trimmed.line_id,
        trimmed.customer_id,
        trimmed.transaction_date_text,
        trimmed.amount_text,
        trimmed.cost_text,
        trimmed.quantity_text,
        trimmed.channel,
        trimmed.product_category,
        trimmed.status
    from trimmed
    left join files_without_ids
        on trimmed.source_file = files_without_ids.source_file
),

typed as (
    select
        *,
        {{ tiering.parse_date('transaction_date_text', date_formats) }} as transaction_date,
        {{ tiering.parse_decimal('amount_text', decimal_separator, thousands_separator) }} as amount,
        {{ tiering.parse_decimal('cost_text', decimal_separator, thousands_separator) }} as cost,
        {{ tiering.parse_decimal('quantity_text', decimal_separator, thousands_separator) }} as quantity
    from identified
),

flagged as (
    select
        *,
        case
            when transaction_id is null then 'missing_transaction_id'
            when customer_id is null then 'missing_customer_id'
            when transaction_date_text is null then 'missing_transaction_date'
            when transaction_date is null then 'unparseable_transaction_date'
            when transaction_date < {{ earliest_valid_date_sql }} then 'transaction_date_too_early'
            when transaction_date > {{ run_date }} then 'transaction_date_in_future'
            when amount_text is null then 'missing_amount'
            when amount is null and {{ tiering.is_decimal_text('amount_text', decimal_separator,
                thousands_separator, max_integer_digits=none) }} then 'amount_out_of_range'
            when amount is null then 'non_numeric_amount'
            when amount = 0 and {{ tiering.regexp_full_match('amount_text', '.*[1-9].*') }}
                then 'amount_out_of_range'
            when status = 'cancelled' then 'cancelled'
            when status in ('refund', 'refunded', 'return', 'returned') and amount > 0
                then 'refund_with_positive_amount'
        end as row_reject_reason
    from typed
),

-- The key a second copy is a duplicate of: the transaction id, or under the order-line grain the
-- transaction id and the line (its line_id, else its values: only exact copies are duplicates).
-- The texts as delivered are kept for the rows a rule rejects, where they explain the reason.
-- (The trimming and typing CTEs are cheap and read once or twice: recomputed, not written out.)
final as (
    select
        source_file,
        load_version,
        raw_row_number,
        transaction_id,
        line_id,
        {{ line_key_sql }} as line_key,
        customer_id,
        transaction_date,
        amount,
        cost,
        quantity,
        channel,
        product_category,
        status,
        case when row_reject_reason is not null then transaction_date_text end as transaction_date_text,
        case when row_reject_reason is not null then amount_text end as amount_text,
        case when row_reject_reason is not null then cost_text end as cost_text,
        row_reject_reason,
        {{ tiering.run_timestamp() }} as loaded_at
    from flagged
)

select * from final
