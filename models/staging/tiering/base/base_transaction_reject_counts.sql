{#- The rows of each input file by reject reason, and how many are usable purchases: one pass over
    base_transactions that its checks read instead of every row. Its post-hook
    assert_usable_input stops the run when the input holds nothing useful, and its tests bound
    the share of rejected rows; int_customer_metrics depends on it, so no customer table is
    replaced before they pass. -#}
{{ config(materialized='table', post_hook="{{ tiering.assert_usable_input(this) }}") }}
{%- set as_of_date = tiering.setting('as_of_date') %}
{%- set on_or_before_as_of = 'transaction_date <= ' ~ tiering.date_literal(as_of_date, 'as_of_date')
    if as_of_date is not none else '1 = 1' %}

with

transactions as (
    select
        source_file,
        reject_reason,
        transaction_date,
        amount
    from {{ ref('base_transactions') }}
),

reject_counts as (
    select
        source_file,
        reject_reason,
        count(*) as row_count,
        sum(
            case when reject_reason is null and amount > 0 and {{ on_or_before_as_of }} then 1 else 0 end
        ) as usable_rows
    from transactions
    group by source_file, reject_reason
)

select * from reject_counts
