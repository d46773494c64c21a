{#- Fails (one row per reject reason) when the share of rows of `model` with a non-null
    `column_name` (the reject reason) is above `max_share`. With `row_count_column`, each row of
    `model` stands for that many rows (a table of counts by reason). Each row names the reason,
    its rows and share, and what fixes it (macro reject_reason_fixes), so that
    `dbt build --store-failures` or the compiled query shows where a bad export went wrong. -#}
{% test reject_share(model, column_name, max_share, row_count_column=none) %}
    {%- if max_share is none or max_share | float < 0 or max_share | float > 1 -%}
        {{ exceptions.raise_compiler_error(
            "reject_share on " ~ column_name ~ ": max_share must be a share between 0 and 1, got " ~ max_share) }}
    {%- endif -%}

with

rows_by_reason as (
    select
        {{ column_name }} as reject_reason,
        {{ 'sum(' ~ row_count_column ~ ')' if row_count_column else 'count(*)' }} as row_count
    from {{ model }}
    group by {{ column_name }}
),

input_totals as (
    select
        sum(row_count) as total_rows,
        sum(case when reject_reason is not null then row_count else 0 end) as rejected_rows
    from rows_by_reason
),

reasons_over_threshold as (
    select
        rows_by_reason.reject_reason,
        rows_by_reason.row_count,
        cast(rows_by_reason.row_count as {{ tiering.type_double() }})
        / input_totals.total_rows as share_of_input,
        case rows_by_reason.reject_reason
            {%- for reason, fix in tiering.reject_reason_fixes().items() %}
            when {{ tiering.string_literal(reason) }} then {{ tiering.string_literal(fix) }}
            {%- endfor %}
        end as fix
    from rows_by_reason
    cross join input_totals
    where
        rows_by_reason.reject_reason is not null
        and input_totals.rejected_rows > {{ max_share }} * input_totals.total_rows
)

select * from reasons_over_threshold

{% endtest %}
