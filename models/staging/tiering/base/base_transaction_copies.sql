{#- The duplicate rule: among the rows that pass every other rule, rows sharing a key (line_key)
    are copies of one transaction (or order line), and the first by transaction date, amount,
    customer id, file name and position in the file is kept. One row per clean row whose key has
    copies (a small share), with its rank; every other clean row is the only one of its key.
    Incremental: a run ranks again the keys of the rows loaded since the last ranking (their
    copies in every file, so a copy is judged against every file whatever night it came); it
    ranks every key again when a file was read again or is gone (macro copies_plan). A copy keeps
    what int_customer_metrics sums of it, so that an update of the customers can take back a row
    that a copy loaded later outranks (macro metrics_plan). -#}
{{ config(
    materialized=tiering.incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ tiering.delete_keys_to_rank(this) }}",
) }}
{%- set plan = tiering.copies_plan(this) %}
{#- An incremental run ranks again only the keys of the rows loaded since the last ranking. -#}
{%- set keys_to_rank = 'line_key in (select rows_since.line_key from loaded_rows as rows_since'
    ~ ' where rows_since.loaded_at > ' ~ plan.ranked_since ~ ')' if plan.mode == 'new_rows' else '1 = 1' %}

with

loaded_rows as {{ tiering.materialization_hint('not materialized') }} (
    select
        source_file,
        raw_row_number,
        line_key,
        customer_id,
        transaction_date,
        amount,
        cost,
        loaded_at,
        row_reject_reason
    from {{ ref('base_transaction_rows') }}
),

-- Read twice below. Every clean row when ranking every key: recomputed, not written out. The few
-- rows of the keys loaded since the last ranking: written out once, so that the scan of every
-- row for their keys is not run twice.
clean_rows as {{ tiering.materialization_hint(
    'materialized' if plan.mode == 'new_rows' else 'not materialized') }} (
    select *
    from loaded_rows
    where
        row_reject_reason is null
        and {{ keys_to_rank }}
),

-- Only keys with several clean rows need a ranking: a sort of the few rows that are copies.
keys_with_copies as (
    select line_key
    from clean_rows
    group by line_key
    having count(*) > 1
),

ranked as (
    select
        clean_rows.source_file,
        clean_rows.raw_row_number,
        clean_rows.line_key,
        clean_rows.customer_id,
        clean_rows.transaction_date,
        clean_rows.amount,
        clean_rows.cost,
        clean_rows.loaded_at,
        {{ tiering.run_timestamp() }} as ranked_at,
        row_number() over (
            partition by clean_rows.line_key
            order by
                clean_rows.transaction_date asc,
                clean_rows.amount asc,
                {{ tiering.binary_text('clean_rows.customer_id') }} asc,
                {{ tiering.binary_text('clean_rows.source_file') }} asc,
                clean_rows.raw_row_number asc
        ) as copy_number
    from clean_rows
    inner join keys_with_copies
        on clean_rows.line_key = keys_with_copies.line_key
)

select * from ranked
