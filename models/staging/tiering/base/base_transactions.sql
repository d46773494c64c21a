{#- Every raw transaction row (or order line), typed, with the one reason it is rejected for (null
    when clean). The rules and their order are in _base__models.yml and the seed reject_reasons.

    Incremental by input file: a run reads only the files it has not loaded in their current
    version (new files, files rewritten since, and files holding rows dated after the last run
    date), re-ranks the copies of every key those rows share with rows already loaded, and its
    first post-hook deletes the rows of files no longer in the input or loaded again. The result
    is the table a full build (--full-refresh) gives. Its second post-hook stops the run when the
    input holds nothing useful, before any mart is replaced. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'raw_row_number'],
    on_schema_change='fail',
    post_hook=[
        "{{ tiering.delete_unloaded_files(this) }}",
        "{{ tiering.assert_usable_input(this) }}",
    ],
) }}
{%- set earliest_valid_date = tiering.setting('earliest_valid_date') %}
{%- set earliest_valid_date_sql = tiering.date_literal(earliest_valid_date, 'earliest_valid_date')
    if earliest_valid_date is not none else 'cast(null as date)' %}
{%- set run_date = tiering.date_literal(run_started_at.strftime('%Y-%m-%d'), 'run date') %}
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
{%- set duplicate_reason = 'duplicate_line' if is_line_grain else 'duplicate_transaction_id' %}
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
            when amount is null then 'non_numeric_amount'
            when status = 'cancelled' then 'cancelled'
        end as row_reject_reason
    from typed
),

-- The key a second copy is a duplicate of: the transaction id, or under the order-line grain the
-- transaction id and the line (its line_id, else its values: only exact copies are duplicates).
-- The texts as delivered are kept for the rows a rule rejects, where they explain the reason.
read_rows as (
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
        row_reject_reason
    from flagged
),

-- Under an incremental run, with the rows loaded before that may now rank differently among the
-- copies of their key (macro union_loaded_rows_to_rank). Read three times below, so computed once
-- (the CTEs before it are cheap and read once or twice: recomputed rather than written out).
candidates as {{ tiering.materialization_hint('materialized') }} (
    select * from read_rows
    {{ tiering.union_loaded_rows_to_rank(this, load_plan, 'read_rows', duplicate_reason) }}
),

-- Only rows that pass every other rule compete, and only keys with several such rows need a
-- ranking (a sort of the few rows that are copies, not of every row): the first copy by date,
-- amount, customer and position in the input is kept.
keys_with_copies as (
    select line_key
    from candidates
    where row_reject_reason is null
    group by line_key
    having count(*) > 1
),

ranked_copies as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.line_key
            order by
                candidates.transaction_date asc,
                candidates.amount asc,
                {{ tiering.binary_text('candidates.customer_id') }} asc,
                {{ tiering.binary_text('candidates.source_file') }} asc,
                candidates.raw_row_number asc
        ) as copy_number
    from candidates
    inner join keys_with_copies
        on candidates.line_key = keys_with_copies.line_key
    where candidates.row_reject_reason is null
),

final as (
    select
        source_file,
        load_version,
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
        row_reject_reason as reject_reason
    from candidates
    where
        row_reject_reason is not null
        or line_key not in (select keys_with_copies.line_key from keys_with_copies)
    union all
    select
        source_file,
        load_version,
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
        case when copy_number > 1 then '{{ duplicate_reason }}' end as reject_reason
    from ranked_copies
)

select * from final
